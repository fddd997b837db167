// @vitest-environment jsdom
import type { Editor } from '@tiptap/core'
import type { Node as PMNode } from '@tiptap/pm/model'
import { TextSelection } from '@tiptap/pm/state'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Awareness } from 'y-protocols/awareness'
import * as Y from 'yjs'
import { bodyOf } from '../../../src/doc/model'
import { chunkText, positionOfOffset } from '../../../src/editor/chunk-text'
import { blockPos } from '../../../src/editor/chunks'
import { createEditor } from '../../../src/editor/create-editor'
import { documentSchema, editorSchema } from '../../../src/editor/extensions'
import { EAGER_CHUNKS } from '../../../src/editor/lazy-chunks'
import { seededDoc } from '../../helpers/seeded-body'

// Chunks rendered only near the screen (src/editor/lazy-chunks.ts, rule BIND-7). jsdom has no
// layout, so the test plays the browser's IntersectionObserver: it says which placeholders came
// near the screen. Find-in-page in a placeholder is proven in Chromium (test/e2e/large-doc.test.ts).

/** Stands in for the browser's observer: records targets; `reach` reports some as intersecting. */
class StubObserver {
  static all: StubObserver[] = []
  readonly targets = new Set<Element>()
  constructor(private readonly callback: IntersectionObserverCallback) {
    StubObserver.all.push(this)
  }
  observe(el: Element): void {
    this.targets.add(el)
  }
  unobserve(el: Element): void {
    this.targets.delete(el)
  }
  disconnect(): void {
    this.targets.clear()
  }
  reach(els: readonly Element[]): void {
    const entries = els.map((target) => ({ target, isIntersecting: true }))
    this.callback(entries as unknown as IntersectionObserverEntry[], this as never)
  }
}

const editors: Editor[] = []
beforeEach(() => {
  StubObserver.all = []
  Object.assign(globalThis, { IntersectionObserver: StubObserver })
})
afterEach(() => {
  for (const editor of editors.splice(0)) editor.destroy()
  delete (globalThis as { IntersectionObserver?: unknown }).IntersectionObserver
})

function editorOn(doc: Y.Doc): Editor {
  const element = document.createElement('div')
  document.body.append(element)
  const editor = createEditor({
    element,
    doc,
    awareness: new Awareness(doc),
    user: { name: 'reader', color: '#336699' },
  })
  editors.push(editor)
  return editor
}

/** Each top-level chunk element: rendered (its blocks' DOM) or a placeholder (its text). */
function chunkElements(editor: Editor): { rendered: boolean; el: HTMLElement }[] {
  return Array.from(editor.view.dom.children, (el) => ({
    rendered: !el.classList.contains('chunk-placeholder'),
    el: el as HTMLElement,
  }))
}

const flat = documentSchema()
const chunked = editorSchema()

describe('chunks rendered near the screen', () => {
  it('[BIND-7] a long document renders the first chunks, the last and the selection’s with its neighbours; the rest show their text', () => {
    const editor = editorOn(seededDoc(640, flat))
    const chunks = chunkElements(editor)
    expect(chunks).toHaveLength(editor.state.doc.childCount)
    expect(chunks.length).toBeGreaterThan(EAGER_CHUNKS + 2)
    const selected = editor.state.selection.$head.index(0)
    chunks.forEach(({ rendered, el }, i) => {
      const eager = i < EAGER_CHUNKS || i === chunks.length - 1 || Math.abs(i - selected) <= 1
      expect(rendered, `chunk ${i}`).toBe(eager)
      const node = editor.state.doc.child(i)
      if (rendered) expect(el.querySelectorAll('p')).toHaveLength(node.childCount)
      else {
        expect(el.textContent).toBe(chunkText(node))
        expect(el.getAttribute('contenteditable')).toBe('false')
      }
    })
    // Every placeholder is watched, nothing else.
    const [observer] = StubObserver.all
    expect(observer?.targets.size).toBe(chunks.filter((c) => !c.rendered).length)
  })

  it('[BIND-7] a placeholder that comes near the screen is rendered and stays rendered', () => {
    const editor = editorOn(seededDoc(640, flat))
    const observer = StubObserver.all[0]
    const third = chunkElements(editor)[EAGER_CHUNKS]
    if (!observer || !third) throw new Error('no observer or no third chunk')
    expect(third.rendered).toBe(false)
    observer.reach([third.el])
    const after = chunkElements(editor)[EAGER_CHUNKS]
    expect(after?.rendered).toBe(true)
    expect(after?.el.querySelectorAll('p')).toHaveLength(
      editor.state.doc.child(EAGER_CHUNKS).childCount,
    )
    expect(observer.targets.has(third.el)).toBe(false)
    // Typing far away (and so changing the decorations) leaves it rendered.
    editor.commands.setTextSelection(2)
    editor.commands.insertContent('typed ')
    expect(chunkElements(editor)[EAGER_CHUNKS]?.rendered).toBe(true)
  })

  it('[BIND-7] the selection moved into a placeholder renders its chunk', () => {
    const editor = editorOn(seededDoc(640, flat))
    const target = EAGER_CHUNKS + 1
    expect(chunkElements(editor)[target]?.rendered).toBe(false)
    const block = editor.state.doc.child(0).childCount * target + 3
    const pos = blockPos(editor.state.doc, block) + 2
    editor.view.dispatch(editor.state.tr.setSelection(TextSelection.create(editor.state.doc, pos)))
    const index = editor.state.selection.$head.index(0)
    expect(chunkElements(editor)[index]?.rendered).toBe(true)
    expect(editor.state.doc.textBetween(pos - 1, pos + 5)).toBe(`line ${block}`.slice(0, 6))
  })

  it('[BIND-7] a peer’s change inside a placeholder updates its text and leaves it unrendered', () => {
    const doc = seededDoc(640, flat)
    const editor = editorOn(doc)
    const target = EAGER_CHUNKS + 1
    const before = chunkElements(editor)[target]
    if (!before) throw new Error('no such chunk')
    expect(before.rendered).toBe(false)
    const firstBlock = editor.state.doc.child(0).childCount * target
    // A peer edits that block's text in Yjs.
    const peer = new Y.Doc()
    Y.applyUpdate(peer, Y.encodeStateAsUpdate(doc))
    const paragraph = bodyOf(peer).get(firstBlock) as Y.XmlElement
    ;(paragraph.get(0) as Y.XmlText).insert(0, 'EDITED ')
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(peer, Y.encodeStateVector(doc)))
    const after = chunkElements(editor)[target]
    expect(after?.rendered).toBe(false)
    expect(after?.el).toBe(before.el)
    expect(after?.el.textContent?.startsWith(`EDITED line ${firstBlock}\n`)).toBe(true)
  })

  it('[BIND-7] every character of a placeholder’s text maps to its position in the chunk', () => {
    const p = (text: string): PMNode =>
      chunked.node('paragraph', null, text ? chunked.text(text) : [])
    const chunk = chunked.node('chunk', null, [
      p('first'),
      p(''),
      chunked.node('bulletList', null, [
        chunked.node('listItem', null, [p('item one')]),
        chunked.node('listItem', null, [p('item two')]),
      ]),
      chunked.node('paragraph', null, [
        chunked.text('before'),
        chunked.node('hardBreak'),
        chunked.text('after', [chunked.mark('bold')]),
      ]),
    ])
    const text = chunkText(chunk)
    expect(text).toBe('first\n\nitem one\nitem two\nbefore\nafter')
    for (let offset = 0; offset < text.length; offset++) {
      if (text[offset] === '\n') continue
      const pos = positionOfOffset(chunk, offset)
      expect(chunk.textBetween(pos, pos + 1), `offset ${offset}`).toBe(text[offset])
    }
  })
})

/** Chromium's `contentvisibilityautostatechange` on `el`, as it comes near the screen or goes. */
function visibility(el: Element, skipped: boolean): void {
  el.dispatchEvent(Object.assign(new Event('contentvisibilityautostatechange'), { skipped }))
}

describe('chunks rendered near the screen, as Chromium says (content-visibility)', () => {
  beforeEach(() => {
    // The browser tells content-visibility changes: no observer of ours is made.
    Object.assign(globalThis, { ContentVisibilityAutoStateChangeEvent: class {} })
  })
  afterEach(() => {
    delete (globalThis as { ContentVisibilityAutoStateChangeEvent?: unknown })
      .ContentVisibilityAutoStateChangeEvent
  })

  it('[BIND-7] a placeholder the browser stops skipping is rendered, with the others that came with it, in one change', async () => {
    const editor = editorOn(seededDoc(640, flat))
    expect(StubObserver.all).toHaveLength(0)
    const [third, fourth, fifth] = chunkElements(editor).slice(EAGER_CHUNKS, EAGER_CHUNKS + 3)
    if (!third || !fourth || !fifth) throw new Error('not enough chunks')
    expect([third.rendered, fourth.rendered, fifth.rendered]).toEqual([false, false, false])
    let changes = 0
    editor.on('transaction', () => (changes += 1))
    // Skipped still (or going off screen): nothing happens.
    visibility(fifth.el, true)
    visibility(third.el, false)
    visibility(fourth.el, false)
    await Promise.resolve()
    const after = chunkElements(editor).slice(EAGER_CHUNKS, EAGER_CHUNKS + 3)
    expect(after.map((c) => c.rendered)).toEqual([true, true, false])
    expect(changes).toBe(1)
    expect(after[0]?.el.querySelectorAll('p')).toHaveLength(
      editor.state.doc.child(EAGER_CHUNKS).childCount,
    )
    // Rendered for good: going off screen again leaves it rendered.
    visibility(after[0]?.el as Element, true)
    await Promise.resolve()
    expect(chunkElements(editor)[EAGER_CHUNKS]?.rendered).toBe(true)
  })

  it('[BIND-7] a selection the browser made in a placeholder it then shows (find-in-page) is kept in the editor', async () => {
    const editor = editorOn(seededDoc(640, flat))
    const target = EAGER_CHUNKS + 1
    const placeholder = chunkElements(editor)[target]
    if (!placeholder || placeholder.rendered) throw new Error('no placeholder')
    const text = placeholder.el.firstChild as Text
    const node = editor.state.doc.child(target)
    // A match in the placeholder's text, as window.find selects it, then shown.
    const from = chunkText(node).indexOf('line')
    document.getSelection()?.setBaseAndExtent(text, from, text, from + 6)
    visibility(placeholder.el, false)
    await Promise.resolve()
    expect(chunkElements(editor)[target]?.rendered).toBe(true)
    const { from: start, to } = editor.state.selection
    expect(editor.state.doc.textBetween(start, to)).toBe(chunkText(node).slice(from, from + 6))
  })
})
