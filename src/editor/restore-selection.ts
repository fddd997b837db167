import type { Node as PMNode } from '@tiptap/pm/model'
import type { EditorState, Transaction } from '@tiptap/pm/state'
import { AllSelection, NodeSelection, Selection, TextSelection } from '@tiptap/pm/state'
import type { ProsemirrorBinding } from '@tiptap/y-tiptap'
import {
  findAbsolutePositionAfterStructuralChange,
  isMisresolvedAfterStructuralChange,
} from '@tiptap/y-tiptap'
import type * as Y from 'yjs'
import { flatten, isEmptyDocument, toFlat, toPm } from './chunks'
import { absolutePosition, relativePosition } from './relative-position'

// y-tiptap 3.0.9's `getRelativeSelection` and `restoreRelativeSelection` (the second not
// exported), for the block binding: after a remote change the local selection is put back where
// its Yjs relative positions now are, with upstream's recovery for positions that misresolve
// after a block moved (the drag-and-drop fix of 3.0.6; test/unit/editor/block-binding.test.ts
// keeps it). Same behaviour, typed, in positions of the flat document (the one Yjs holds): the
// editor's chunks (chunks.ts) are translated at the edges.

export type RelativeSelection = ProsemirrorBinding['beforeTransactionSelection'] | null

/** The editor's selection as Yjs relative positions (upstream's `getRelativeSelection`). */
export function relativeSelection(
  binding: ProsemirrorBinding,
  state: EditorState,
): NonNullable<RelativeSelection> {
  const selection = state.selection as Selection & { jsonID?: string; depth?: number }
  const type = selection.jsonID
  return {
    type,
    depth: type === 'nodeRange' ? selection.depth : undefined,
    anchor: relativePosition(binding, state.doc, selection.anchor),
    head: relativePosition(binding, state.doc, selection.head),
    absAnchor: toFlat(state.doc, selection.anchor),
    absHead: toFlat(state.doc, selection.head),
  }
}

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
  const doc = tr.doc
  // Node selections start before a block: at a chunk boundary, in the later chunk.
  const resolve = (rel: unknown): number | null =>
    absolutePosition(binding, doc, rel as Y.RelativePosition, rel === relSel.anchor)
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
    const flatResolve = (rel: unknown): number | null => {
      const pos = absolutePosition(binding, doc, rel as Y.RelativePosition)
      return pos === null ? null : toFlat(doc, pos)
    }
    // Upstream's recovery compares top-level blocks: it runs on the flat documents. Not from the
    // empty document (a new peer before the document arrives): there is nothing to recover, and
    // upstream's search would compare every block received with the empty paragraph and put the
    // caret in the first empty one, wherever that is (~60 ms at 23,000 blocks).
    const before = oldDoc && !isEmptyDocument(oldDoc) ? flatten(oldDoc) : null
    const after = before && flatten(doc)
    const endpoint = (abs: number | null | undefined, rel: unknown): number | null => {
      const flat = recoverEndpoint(after ?? doc, before, abs, flatResolve(rel))
      return flat === null ? null : toPm(doc, flat)
    }
    let anchor = endpoint(relSel.absAnchor, relSel.anchor)
    let head = endpoint(relSel.absHead, relSel.head)
    // Collapse to the surviving endpoint rather than drop the selection.
    anchor ??= head
    head ??= anchor
    if (anchor !== null && head !== null) {
      tr.setSelection(TextSelection.between(tr.doc.resolve(anchor), tr.doc.resolve(head)))
    }
  }
}
