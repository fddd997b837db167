import type { Page } from 'playwright-core'
import type { PmOp } from './paragraphs'

// Replaying a trace through the real Tiptap editor of the app, in the page. The edits arrive as
// ProseMirror operations (see toPmOps) and are dispatched as one ProseMirror transaction per
// keystroke through the editor's view, the same path a key press takes after the DOM input
// handler: transaction -> plugins (y-tiptap's sync plugin writes it into the Y.Doc, which the
// app's IndexedDB writer and y-webrtc observe) -> view update (DOM).

/** Ships the operations into the page once (about 4 MB of JSON for automerge-paper). */
export async function loadOps(page: Page, ops: readonly (readonly PmOp[])[]): Promise<void> {
  await page.evaluate((all) => {
    ;(globalThis as unknown as { __mpOps: unknown }).__mpOps = all
  }, ops as PmOp[][])
}

export interface ReplayWindow {
  readonly from: number
  readonly to: number
  /**
   * `batch`: many keystrokes per transaction, to reach a size fast (untimed). `timed`: one
   * transaction per keystroke, each timed from before dispatch to after a forced layout, with a
   * macrotask between keystrokes so IndexedDB writes and timers run as they would while typing.
   * In `timed`, the caret follows each edit and is scrolled into view, as a typist's is: edits to
   * a paragraph off screen would skip its layout (content-visibility) and flatter the figure.
   */
  readonly mode: 'batch' | 'timed'
  readonly batch?: number
}

export interface KeystrokeTimes {
  /** From before the transaction is built to after the forced layout, per keystroke (ms). */
  readonly total: number[]
  /** The dispatch alone: plugins, Yjs, the view's DOM update; no style or layout (ms). */
  readonly dispatch: number[]
}

/** Runs a window of the loaded ops; for `timed`, resolves with each keystroke's durations. */
export async function replayWindow(page: Page, window: ReplayWindow): Promise<KeystrokeTimes> {
  return page.evaluate(async ({ from, to, mode, batch }) => {
    type Op = [0, number, string] | [1, number, number] | [2, number]
    interface Tr {
      doc: { content: { size: number }; resolve(pos: number): unknown }
      steps: unknown[]
      insertText(text: string, from: number): Tr
      delete(from: number, to: number): Tr
      split(at: number): Tr
      setSelection(selection: unknown): Tr
      scrollIntoView(): Tr
    }
    interface View {
      state: { tr: Tr; selection: object }
      dispatch(tr: Tr): void
      dom: HTMLElement
    }
    const ops = (globalThis as unknown as { __mpOps: Op[][] }).__mpOps
    const root = document.querySelector<HTMLElement & { editor?: { view: View } }>(
      '[data-testid=editor]',
    )
    const view = root?.editor?.view
    if (!view) throw new Error('no editor in the page')
    const apply = (tr: Tr, patch: Op[]): number => {
      let caret = -1
      for (const op of patch) {
        if (op[0] === 0) tr.insertText(op[2], op[1])
        else if (op[0] === 1) tr.delete(op[1], op[2])
        else tr.split(op[1])
        caret = op[0] === 0 ? op[1] + op[2].length : op[0] === 1 ? op[1] : op[1] + 2
      }
      return caret
    }
    // ProseMirror's Selection class, from the editor's own selection (a TextSelection): the page
    // has no module to import it from.
    const SelectionClass = Object.getPrototypeOf(view.state.selection.constructor) as {
      near(pos: unknown): unknown
    }
    const channel = new MessageChannel()
    const yieldTask = (): Promise<void> =>
      new Promise((resolve) => {
        channel.port1.onmessage = () => resolve()
        channel.port2.postMessage(null)
      })
    const total: number[] = []
    const dispatched: number[] = []
    if (mode === 'batch') {
      const size = batch ?? 1000
      let i = from
      while (i < to) {
        const tr = view.state.tr
        const startSize = tr.doc.content.size
        const end = Math.min(to, i + size)
        for (; i < end; i++) {
          const patch = ops[i] ?? []
          // y-tiptap's cursor plugin resolves every step of a transaction against the document
          // before it (isStructuralTransaction); a later step that deletes past that document's
          // end throws. Such a keystroke starts the next transaction instead.
          if (i > 0 && tr.steps.length > 0 && patch.some((op) => op[0] === 1 && op[2] > startSize))
            break
          apply(tr, patch)
        }
        view.dispatch(tr)
        await yieldTask()
      }
      return { total, dispatch: dispatched }
    }
    for (let i = from; i < to; i++) {
      const started = performance.now()
      const tr = view.state.tr
      const caret = apply(tr, ops[i] ?? [])
      if (caret >= 0 && caret <= tr.doc.content.size)
        tr.setSelection(SelectionClass.near(tr.doc.resolve(caret))).scrollIntoView()
      view.dispatch(tr)
      const afterDispatch = performance.now()
      // Reading layout forces style and layout now, as the next frame would.
      void view.dom.offsetHeight
      total.push(performance.now() - started)
      dispatched.push(afterDispatch - started)
      await yieldTask()
    }
    channel.port1.close()
    return { total, dispatch: dispatched }
  }, window)
}
