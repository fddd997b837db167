// @vitest-environment jsdom
import type { Editor } from '@tiptap/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness'
import * as Y from 'yjs'
import { bodyOf } from '../../../src/doc/model'
import { FIRST_ENTRY_MARK } from '../../../src/sync/gate/gate'
import { gateLink } from '../../../src/sync/gate/warm-up'
import { isEmptyDocument } from '../../../src/editor/chunks'
import { createEditor } from '../../../src/editor/create-editor'
import type * as WarmUpModule from '../../../src/editor/warm-up'
import {
  WARM_UP_MEASURE,
  scheduleWarmUp,
  warmUp,
  type WarmLinkFactory,
} from '../../../src/editor/warm-up'

// The idle warm-up (src/editor/warm-up.ts, rule BIND-8). What it buys (the first keystrokes after
// opening run warm code) is measured in Chromium by bench/scale.ts; these tests hold what must not
// change: it really types and receives through the editor's own paths, and it leaves nothing of
// itself behind (no element, no focus, no change to any other document, no listener).

const user = { name: 'me', color: '#336699' }
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0))

/**
 * A link for the editor's paths alone (logic only): Yjs updates and awareness passed straight
 * across, synchronously. The app's link goes through two real gates (`gateLink`).
 */
const directLink: WarmLinkFactory = (local, remote) => {
  const toRemote = (update: Uint8Array, origin: unknown): void => {
    if (origin !== directLink) Y.applyUpdate(remote.doc, update, directLink)
  }
  const toLocal = (update: Uint8Array, origin: unknown): void => {
    if (origin !== directLink) Y.applyUpdate(local.doc, update, directLink)
  }
  const presence = (): void =>
    applyAwarenessUpdate(
      local.awareness,
      encodeAwarenessUpdate(remote.awareness, [remote.doc.clientID]),
      directLink,
    )
  Y.applyUpdate(remote.doc, Y.encodeStateAsUpdate(local.doc), directLink)
  local.doc.on('update', toRemote)
  remote.doc.on('update', toLocal)
  remote.awareness.on('update', presence)
  return {
    settle: () => Promise.resolve(),
    close: () => {
      local.doc.off('update', toRemote)
      remote.doc.off('update', toLocal)
      remote.awareness.off('update', presence)
    },
  }
}

/** An editor on a new document, in an element not in the page. */
function detachedEditor(): Editor {
  const doc = new Y.Doc()
  return createEditor({
    element: document.createElement('div'),
    doc,
    awareness: new Awareness(doc),
    user,
  })
}

/** The module loaded anew (its once-per-page flag unset), with idle callbacks queued for the test. */
async function freshModule(): Promise<{
  fresh: typeof WarmUpModule
  queued: (() => void)[]
}> {
  vi.resetModules()
  const fresh = await import('../../../src/editor/warm-up')
  const queued: (() => void)[] = []
  vi.stubGlobal('requestIdleCallback', (callback: () => void) => queued.push(callback))
  vi.stubGlobal('cancelIdleCallback', () => {})
  return { fresh, queued }
}

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('editor warm-up (BIND-8)', () => {
  // Typed at the end of the last block; the peer's characters after the caret there; the split
  // at the caret, and one more character typed at the end.
  const EXPECTED = ['Title', ...Array<string>(400).fill('One two three'), 'item', 'endabc', 'xyzwd']
  const blocks = (text: string): string[] => text.split('|').filter((block) => block !== '')

  it('BIND-8: types and receives a peer’s characters through the editor’s own paths', async () => {
    const result = await warmUp(user, directLink)
    expect(blocks(result?.text ?? '')).toEqual(EXPECTED)
    expect(result?.peer).toContain('xyzwd')
    expect(result?.peer).toContain('Title')
  })

  it('BIND-8: through two real gates, each side’s changes are sealed, checked and applied on the other', async () => {
    const marks = performance.getEntriesByName(FIRST_ENTRY_MARK).length
    const result = await warmUp(user, gateLink)
    expect(blocks(result?.text ?? '')).toEqual(EXPECTED)
    // The page's timeline is the open document's: the scratch gates mark nothing there.
    expect(performance.getEntriesByName(FIRST_ENTRY_MARK)).toHaveLength(marks)
    // The peer's copy came through the gates too: our heading and our last character.
    expect(result?.peer).toContain('Title')
    expect(result?.peer).toContain('xyzwd')
  })

  it('BIND-8: leaves no element, focus, timer or change behind, and never touches an open document', async () => {
    const doc = new Y.Doc()
    const element = document.createElement('div')
    document.body.append(element)
    const editor = createEditor({ element, doc, awareness: new Awareness(doc), user })
    editor.commands.insertContent('<p>mine</p>')
    editor.view.focus()
    const before = Y.encodeStateVector(doc)
    const updates: Uint8Array[] = []
    doc.on('update', (update: Uint8Array) => updates.push(update))
    const focused = document.activeElement
    const bodyChildren = document.body.childElementCount
    const setIntervalSpy = vi.spyOn(globalThis, 'setInterval')
    const clearIntervalSpy = vi.spyOn(globalThis, 'clearInterval')

    expect(await warmUp(user, gateLink)).not.toBeNull()

    expect(updates).toEqual([])
    expect(Y.encodeStateVector(doc)).toEqual(before)
    expect(bodyOf(doc).toJSON()).toContain('mine')
    expect(document.activeElement).toBe(focused)
    expect(document.body.childElementCount).toBe(bodyChildren)
    // Each awareness starts an interval; each must have been cleared by its destroy().
    expect(clearIntervalSpy.mock.calls.length).toBeGreaterThanOrEqual(
      setIntervalSpy.mock.calls.length,
    )
    expect(setIntervalSpy.mock.calls.length).toBeGreaterThan(0)
    editor.destroy()
    element.remove()
  })

  it('BIND-8: runs once per page, one step per idle period, and a cancel stops it', async () => {
    // A browser without requestIdleCallback: nothing is scheduled, and that does not count as done.
    vi.stubGlobal('requestIdleCallback', undefined)
    scheduleWarmUp(user, directLink)()
    const queued: (() => void)[] = []
    const cancelled: number[] = []
    vi.stubGlobal('requestIdleCallback', (callback: () => void) => queued.push(callback))
    vi.stubGlobal('cancelIdleCallback', (handle: number) => cancelled.push(handle))
    const measures = (): number => performance.getEntriesByName(WARM_UP_MEASURE).length

    let ended = 0
    const onEnd = (): void => {
      ended += 1
    }
    const cancel = scheduleWarmUp(user, directLink, { onEnd })
    expect(queued).toHaveLength(1)
    queued[0]?.() // the first step: the scratch editor is made
    await tick()
    expect(queued).toHaveLength(2)
    expect(ended).toBe(0)
    cancel()
    expect(cancelled).toEqual([2])
    expect(measures()).toBe(0)
    expect(ended).toBe(1)
    cancel()
    expect(ended).toBe(1)
    // Once per page: a second document opened in the same page schedules nothing (and its
    // caller hears at once that there is nothing to wait for).
    scheduleWarmUp(user, directLink, { onEnd })
    expect(queued).toHaveLength(2)
    expect(ended).toBe(2)
  })

  it('BIND-8: a warm-up left to finish runs every step and records how long it took', async () => {
    const { fresh, queued } = await freshModule()
    const before = performance.getEntriesByName(fresh.WARM_UP_MEASURE).length
    fresh.scheduleWarmUp(user, directLink)
    for (let i = 0; i < 20 && queued.length > i; i++) {
      queued[i]?.()
      await tick()
    }
    expect(queued.length).toBeGreaterThan(2)
    const entries = performance.getEntriesByName(fresh.WARM_UP_MEASURE)
    expect(entries).toHaveLength(before + 1)
    const { steps } = (entries.at(-1) as PerformanceMeasure).detail as { steps: number[] }
    expect(steps.length).toBeGreaterThan(2)
    expect(steps.every((ms) => ms >= 0)).toBe(true)
  })

  it('BIND-8: a page opened with its document waits for idle and for the document to stop changing', async () => {
    const { fresh, queued } = await freshModule()
    const editor = detachedEditor()
    editor.commands.insertContent('<p>stored</p>')
    const stop = fresh.warmUpFor(editor, user, directLink)
    expect(queued).toHaveLength(1)
    editor.commands.insertContent('<p>typed</p>')
    // Idle, but the document changed just now: the step is put off, not run.
    queued[0]?.()
    await tick()
    expect(queued).toHaveLength(1)
    await new Promise((resolve) => setTimeout(resolve, fresh.QUIET_MS + 50))
    expect(queued).toHaveLength(2)
    queued[1]?.() // quiet now: the first step runs and the next is asked for
    await tick()
    expect(queued).toHaveLength(3)
    stop()
    editor.destroy()
  })

  it('BIND-8: a page opened empty (joining by a link) warms up at once, before a copy can arrive', async () => {
    const { fresh, queued } = await freshModule()
    const editor = detachedEditor()
    const before = performance.getEntriesByName(fresh.WARM_UP_MEASURE).length
    const stop = fresh.warmUpFor(editor, user, gateLink)
    // Not left to idle periods: one step per macrotask, all done within moments.
    await expect
      .poll(() => performance.getEntriesByName(fresh.WARM_UP_MEASURE).length, { timeout: 5_000 })
      .toBe(before + 1)
    expect(queued).toHaveLength(0)
    expect(isEmptyDocument(editor.state.doc)).toBe(true)
    stop()
    editor.destroy()
  })
})
