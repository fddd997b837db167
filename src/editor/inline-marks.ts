import { combineTransactionSteps, Extension, getChangedRanges } from '@tiptap/core'
import { Plugin, PluginKey } from '@tiptap/pm/state'
import type { Transform } from '@tiptap/pm/transform'

// Marks belong on text only (rule CONV-5). ProseMirror lets `addMark` put marks on inline atoms
// such as hardBreak, but the Yjs binding stores marks only for text, so the author would keep a
// mark that no other peer ever receives: the documents differ (found by the convergence fuzz,
// finding F1). Every edit therefore drops marks from non-text inline nodes, in the editor and in
// every tool that edits documents headlessly, through this one function.

/** Removes marks from non-text inline nodes between `from` and `to` of `tr.doc`. */
export function stripInlineNodeMarks(tr: Transform, from = 0, to = tr.doc.content.size): Transform {
  const targets: number[] = []
  tr.doc.nodesBetween(Math.max(0, from), Math.min(to, tr.doc.content.size), (node, pos) => {
    if (node.isInline && !node.isText && node.marks.length > 0) targets.push(pos)
    return !node.isInline
  })
  for (const pos of targets) {
    const node = tr.doc.nodeAt(pos)
    if (node) tr.setNodeMarkup(pos, undefined, node.attrs, [])
  }
  return tr
}

/** The editor side: looks only at the ranges each transaction changed, so typing stays O(edit). */
export const TextOnlyMarks = Extension.create({
  name: 'textOnlyMarks',
  addProseMirrorPlugins() {
    return [
      new Plugin({
        key: new PluginKey('textOnlyMarks'),
        appendTransaction(transactions, oldState, newState) {
          if (!transactions.some((tr) => tr.docChanged)) return null
          const tr = newState.tr
          const transform = combineTransactionSteps(oldState.doc, [...transactions])
          for (const { newRange } of getChangedRanges(transform)) {
            stripInlineNodeMarks(tr, newRange.from, newRange.to)
          }
          return tr.docChanged ? tr : null
        },
      }),
    ]
  },
})
