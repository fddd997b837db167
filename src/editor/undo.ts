import type { Editor } from '@tiptap/core'
import { yUndoPluginKey } from '@tiptap/y-tiptap'

// The editor's undo (Y.UndoManager, through Tiptap's Collaboration extension) merges changes made
// within half a second into one step. A change that is not typing, such as restoring a version
// (VERSION-4), must be a step of its own, so that Ctrl+Z takes back exactly that change.
export function separateUndoStep(editor: Editor): void {
  const state = yUndoPluginKey.getState(editor.state) as
    { undoManager?: { stopCapturing(): void } } | undefined
  state?.undoManager?.stopCapturing()
}
