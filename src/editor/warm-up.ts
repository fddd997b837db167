import type { Editor } from '@tiptap/core'
import { Selection } from '@tiptap/pm/state'
import * as Y from 'yjs'
import { Awareness } from 'y-protocols/awareness'
import { bodyOf } from '../doc/model'
import { isEmptyDocument } from './chunks'
import { createEditor, type PeerIdentity } from './create-editor'

// Rule BIND-8: the first keystrokes after a document opens must not pay for the first run of the
// code they use. Opening runs the render path only; the first keystroke then runs a few hundred
// functions of ProseMirror, Tiptap, Yjs and the block binding for the first time, and a peer's
// first remote change the receiving path. V8 compiles a function on its first call and runs it
// in the interpreter with empty inline caches until it is warm: measured at x20 (bench/scale.ts
// method, a Chrome trace), the first keystroke took 24 ms of which 6-12 ms were lazy
// compilation, the second 12-20 ms, the tenth 2-3 ms.
//
// So once per page (when, see `warmUpFor`), a scratch editor built by the same
// `createEditor` on a throwaway Y.Doc, never attached to the page, a store or a network, types
// a few characters and receives a few from a throwaway peer, then is destroyed.
// Compiled code and inline-cache feedback are shared by every editor of the page, so the real
// editor's first keystroke runs warm code. The scratch document and its peer are joined by a
// `WarmLink`: the app passes one through the real gate (signing, encryption, checking), so that
// a collaborator's first edit is also sealed and opened by warm code. What is not warmed: anything that needs focus (the
// DOM selection, publishing the caret), the store and the network.

const PEER_NAME = 'warm-up'

/**
 * Paragraphs in the scratch document: several chunks (BIND-6), so that the loops over a
 * document's chunks and blocks (ProseMirror's view update, positions, the binding's block maps)
 * run long enough to be compiled here. With five paragraphs they ran a few times each, and a
 * book's first remote edit compiled them (V8 --trace-opt: on-stack replacement of those loops
 * while the edit waited); at x20 the first edit after a join took 38 ms (median of 10 joins)
 * with five, 30 ms with 400.
 */
const SCRATCH_PARAGRAPHS = 400
const SCRATCH_PARTS = 4

/** A change to the open document this recent postpones the next step (ms). */
export const QUIET_MS = 500

/** A performance measure of the warm-up, so that benchmarks can say when it ran and how long. */
export const WARM_UP_MEASURE = 'meshpad:warm-up'

/** How the scratch document and its peer exchange changes and presence. */
export interface WarmLink {
  /** Resolves once both sides hold each other's changes and presence. */
  settle(): Promise<void>
  close(): void
}

/** Joins two documents and their awareness. */
export type WarmLinkFactory = (
  local: { doc: Y.Doc; awareness: Awareness },
  remote: { doc: Y.Doc; awareness: Awareness },
) => WarmLink

let done = false

/** The scratch editor and its throwaway peer, worked through in steps. */
class Scratch {
  private readonly doc = new Y.Doc()
  private readonly awareness = new Awareness(this.doc)
  private readonly peer = new Y.Doc()
  private readonly peerAwareness = new Awareness(this.peer)
  private editor: Editor | null = null
  private link: WarmLink | null = null

  constructor(
    private readonly user: PeerIdentity,
    private readonly joinWith: WarmLinkFactory,
  ) {}

  /** Each short enough for one idle period (creating the editor is the longest). */
  readonly steps: readonly (() => void | Promise<void>)[] = [
    () => {
      this.editor = createEditor({
        element: document.createElement('div'),
        doc: this.doc,
        awareness: this.awareness,
        user: this.user,
      })
      this.link = this.joinWith(
        { doc: this.doc, awareness: this.awareness },
        { doc: this.peer, awareness: this.peerAwareness },
      )
    },
    // The paragraphs in parts: one insert of all of them took 60-90 ms, too long for a step.
    ...Array.from({ length: SCRATCH_PARTS }, (_, part) => () => {
      const paragraphs = '<p>One <strong>two</strong> three</p>'.repeat(
        SCRATCH_PARAGRAPHS / SCRATCH_PARTS,
      )
      const first = part === 0 ? '<h2>Title</h2>' : ''
      const last = part === SCRATCH_PARTS - 1 ? '<ul><li><p>item</p></li></ul><p>end</p>' : ''
      this.editing().commands.insertContent(first + paragraphs + last)
      return this.settle()
    }),
    // The first character runs the most code for the first time: a step of its own.
    () => {
      typeAtEnd(this.editing(), 'a')
      return this.settle()
    },
    () => {
      typeAtEnd(this.editing(), 'bc')
      return this.settle()
    },
    () => {
      typeAsPeer(this.peer, this.peerAwareness)
      return this.settle()
    },
    () => {
      this.editing().commands.splitBlock()
      return this.settle()
    },
    () => {
      typeAtEnd(this.editing(), 'd')
      return this.settle()
    },
  ]

  private settle(): Promise<void> {
    if (this.link === null) throw new Error('warm-up: no link')
    return this.link.settle()
  }

  private editing(): Editor {
    if (this.editor === null) throw new Error('warm-up: no scratch editor')
    return this.editor
  }

  /** What the scratch document shows, blocks separated by '|'. */
  text(): string {
    return this.editing().getText({ blockSeparator: '|' })
  }

  /** What the peer's document holds, as the scratch editor's text reads it. */
  peerText(): string {
    return bodyOf(this.peer).toJSON()
  }

  dispose(): void {
    this.link?.close()
    this.editor?.destroy()
    this.peerAwareness.destroy()
    this.awareness.destroy()
    this.peer.destroy()
    this.doc.destroy()
  }
}

/**
 * Schedules the warm-up for the page of `editor`. A page whose editor opens with the document
 * warms up when idle and the document has not changed for QUIET_MS. A page whose editor opens
 * empty (joining by a link, or a new document) warms up at once, step after step, before a
 * peer's copy can arrive: spread over idle periods it overlapped the arrival (measured at x20:
 * the first screen 1.3-1.6 s after the data instead of 0.9-1.1 s), and waiting until the copy
 * was shown left the first remote edits cold.
 */
export function warmUpFor(editor: Editor, user: PeerIdentity, link: WarmLinkFactory): () => void {
  if (isEmptyDocument(editor.state.doc)) return scheduleWarmUp(user, link, { pace: 'now' })
  // Only while the warm-up waits: every change of the document moves the quiet period on.
  let changedAt = performance.now()
  const changed = (): void => {
    changedAt = performance.now()
  }
  editor.on('update', changed)
  return scheduleWarmUp(user, link, {
    quiet: () => performance.now() - changedAt >= QUIET_MS,
    onEnd: () => editor.off('update', changed),
  })
}

/**
 * Runs the warm-up once per page, one step per idle period (`pace` 'idle') or one step per
 * macrotask ('now'), so that a key pressed or a message received meanwhile waits for one step
 * at most; returns a function that cancels what has not run yet.
 */
export function scheduleWarmUp(
  user: PeerIdentity,
  link: WarmLinkFactory,
  options: {
    /** Whether a step may run now (checked when idle); otherwise it is put off QUIET_MS. */
    readonly quiet?: () => boolean
    readonly pace?: 'idle' | 'now'
    /** Called once, when the warm-up ends, is cancelled, or does not run at all. */
    readonly onEnd?: () => void
  } = {},
): () => void {
  const { quiet = () => true, pace = 'idle', onEnd = () => {} } = options
  if (done) {
    onEnd()
    return () => {}
  }
  const idle = globalThis.requestIdleCallback as typeof requestIdleCallback | undefined
  const cancelIdle = globalThis.cancelIdleCallback as typeof cancelIdleCallback | undefined
  // Without requestIdleCallback (Safari), only the warm-up that does not wait for idle runs.
  const canIdle = typeof idle === 'function' && typeof cancelIdle === 'function'
  if (pace === 'idle' && !canIdle) {
    onEnd()
    return () => {}
  }
  done = true
  // Dropped once disposed: the returned `stop` lives as long as the open document, and through
  // it the scratch editor, its document and its DOM would too (1.5 MB, a heap snapshot at x1).
  let scratch: Scratch | null = new Scratch(user, link)
  let next = 0
  let idleHandle = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopped = false
  let began: number | null = null
  /** How long each step itself took. */
  const durations: number[] = []
  const stop = (): void => {
    if (stopped) return
    stopped = true
    if (canIdle) cancelIdle(idleHandle)
    clearTimeout(timer)
    scratch?.dispose()
    scratch = null
    onEnd()
  }
  // Past the timeout the browser runs a step even when busy (a page that is never idle still
  // gets it); a document that is changing (a peer's transfer, someone typing) waits for a pause.
  const schedule = (): void => {
    if (pace === 'now') {
      timer = setTimeout(() => void step(), 0)
      return
    }
    idleHandle = (idle as typeof requestIdleCallback)(
      () => {
        if (quiet()) void step()
        else timer = setTimeout(schedule, QUIET_MS)
      },
      { timeout: 2000 },
    )
  }
  const step = async (): Promise<void> => {
    if (stopped || scratch === null) return
    const { steps } = scratch
    const started = performance.now()
    began ??= started
    try {
      const settled = steps[next]?.()
      durations.push(performance.now() - started)
      await settled
      next += 1
    } catch (error) {
      warn(error)
      stop()
      return
    }
    if (stopped) return
    if (next < steps.length) {
      schedule()
      return
    }
    stop()
    // From the first step to the last; `detail.steps`: the time each step itself took.
    performance.measure(WARM_UP_MEASURE, { start: began, detail: { steps: durations } })
  }
  schedule()
  return stop
}

/**
 * All the steps at once (for tests). Returns the scratch document's text at the end (what was
 * typed and received) and the peer's copy of it, or null if a step failed.
 */
export async function warmUp(
  user: PeerIdentity,
  link: WarmLinkFactory,
): Promise<{ text: string; peer: string } | null> {
  const scratch = new Scratch(user, link)
  try {
    for (const step of scratch.steps) await step()
    return { text: scratch.text(), peer: scratch.peerText() }
  } catch (error) {
    warn(error)
    return null
  } finally {
    scratch.dispose()
  }
}

// Only the page's speed depends on it: report, never fail the page.
function warn(error: unknown): void {
  console.warn('meshpad: editor warm-up failed', error)
}

function typeAtEnd(editor: Editor, text: string): void {
  const { view } = editor
  view.dispatch(view.state.tr.setSelection(Selection.atEnd(view.state.doc)))
  // One transaction per character, as typing makes them.
  for (const character of text) view.dispatch(view.state.tr.insertText(character))
}

/** The peer types at the end of the last paragraph and shows its caret there. */
function typeAsPeer(peer: Y.Doc, peerAwareness: Awareness): void {
  const body = bodyOf(peer)
  const last = body.get(body.length - 1)
  const text = last instanceof Y.XmlElement ? last.get(0) : null
  if (!(text instanceof Y.XmlText)) throw new Error('warm-up: the peer has no text at the end')
  for (const character of 'xyz') text.insert(text.length, character)
  const at: unknown = Y.relativePositionToJSON(
    Y.createRelativePositionFromTypeIndex(text, text.length),
  )
  peerAwareness.setLocalState({
    user: { name: PEER_NAME, color: '#868e96' },
    cursor: { anchor: at, head: at },
  })
  text.insert(text.length, 'w')
}
