import type { Node as PMNode } from '@tiptap/pm/model'
import type { Transaction } from '@tiptap/pm/state'
import { AllSelection, NodeSelection, Selection, TextSelection } from '@tiptap/pm/state'
import type { ProsemirrorBinding } from '@tiptap/y-tiptap'
import {
  findAbsolutePositionAfterStructuralChange,
  isMisresolvedAfterStructuralChange,
  relativePositionToAbsolutePosition,
} from '@tiptap/y-tiptap'

// y-tiptap 3.0.9's `restoreRelativeSelection` (not exported), for the block binding: after a
// remote change the local selection is put back where its Yjs relative positions now are, with
// upstream's recovery for positions that misresolve after a block moved (the drag-and-drop fix
// of 3.0.6; test/unit/editor/block-binding.test.ts keeps it). Same behaviour, typed.

export type RelativeSelection = ProsemirrorBinding['beforeTransactionSelection'] | null

function recoverEndpoint(
  newDoc: PMNode,
  oldDoc: PMNode | null,
  oldAbs: number | null | undefined,
  resolved: number | null,
): number | null {
  if (oldAbs == null || oldDoc === null) return resolved
  const misresolved =
    resolved === null ||
    (oldAbs > 1 && resolved <= 1) ||
    isMisresolvedAfterStructuralChange(oldDoc, newDoc, oldAbs, resolved)
  if (!misresolved) return resolved
  return findAbsolutePositionAfterStructuralChange(oldDoc, newDoc, oldAbs) ?? resolved
}

function safeNodeSelection(tr: Transaction, pos: number): Selection {
  const $pos = tr.doc.resolve(pos)
  return $pos.nodeAfter ? NodeSelection.create(tr.doc, pos) : TextSelection.near($pos)
}

function safeNodeRangeSelection(
  tr: Transaction,
  anchor: number | null,
  head: number | null,
  depth: unknown,
): Selection | null {
  if (anchor === null || head === null) return null
  const size = tr.doc.content.size
  const a = Math.min(Math.max(anchor, 0), size)
  const h = Math.min(Math.max(head, 0), size)
  try {
    const selection = Selection.fromJSON(tr.doc, { type: 'nodeRange', anchor: a, head: h, depth })
    return selection.ranges.length ? selection : TextSelection.near(tr.doc.resolve(a))
  } catch {
    return TextSelection.near(tr.doc.resolve(a))
  }
}

/**
 * `oldDoc` enables upstream's recovery of endpoints that misresolve after blocks moved; it scans
 * the document, so the block binding passes it only for a change that may move blocks.
 */
export function restoreRelativeSelection(
  tr: Transaction,
  relSel: RelativeSelection,
  binding: ProsemirrorBinding,
  oldDoc: PMNode | null,
): void {
  if (relSel === null || relSel.anchor === null || relSel.head === null) return
  const resolve = (rel: unknown): number | null =>
    relativePositionToAbsolutePosition(binding.doc, binding.type, rel, binding.mapping)
  if (relSel.type === 'all') {
    tr.setSelection(new AllSelection(tr.doc))
  } else if (relSel.type === 'node') {
    // null when the node was deleted or moved out of the body by the remote change
    const anchor = resolve(relSel.anchor)
    if (anchor !== null) tr.setSelection(safeNodeSelection(tr, anchor))
  } else if (relSel.type === 'nodeRange') {
    const selection = safeNodeRangeSelection(
      tr,
      resolve(relSel.anchor),
      resolve(relSel.head),
      relSel.depth,
    )
    if (selection !== null) tr.setSelection(selection)
  } else {
    let anchor = recoverEndpoint(tr.doc, oldDoc, relSel.absAnchor, resolve(relSel.anchor))
    let head = recoverEndpoint(tr.doc, oldDoc, relSel.absHead, resolve(relSel.head))
    // Collapse to the surviving endpoint rather than drop the selection.
    anchor ??= head
    head ??= anchor
    if (anchor !== null && head !== null) {
      tr.setSelection(TextSelection.between(tr.doc.resolve(anchor), tr.doc.resolve(head)))
    }
  }
}
