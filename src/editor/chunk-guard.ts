import { Extension } from '@tiptap/core'
import type { Node as PMNode } from '@tiptap/pm/model'
import type { Transaction } from '@tiptap/pm/state'
import { AllSelection, Plugin, PluginKey } from '@tiptap/pm/state'
import { ySyncPluginKey } from '@tiptap/y-tiptap'
import {
  blockCount,
  blockPos,
  chunkAt,
  chunkPos,
  chunkStart,
  CHUNK_SIZE,
  freshKey,
  keyOf,
} from './chunks'

// Chunks must be invisible to editing (BIND-6). ProseMirror's commands work within a common
// parent: Backspace at the start of a chunk's first block would join the two chunks, not the two
// paragraphs; wrapping blocks of two chunks in a list would find no range to wrap. So the blocks
// the selection touches, and one block on either side, always share the chunk of the selection's
// anchor: after every change of the document or the selection, blocks are moved into that chunk
// (with some slack, so moving on does not move them again at once), by splitting and joining
// chunks, which ProseMirror maps every position through exactly. The anchor's block never moves,
// so its DOM (the caret, an IME composition) is never rebuilt (but see `joinUndersized`). Chunks
// that grew past twice CHUNK_SIZE (a paste) are cut back, never inside that range, and small ones
// joined to their neighbour.
//
// Left alone: a selection of more than MAX_GUARD blocks (Ctrl+A in a book) is not gathered into
// one chunk; deleting or typing over it works (replacing joins chunks), but a command that needs
// one parent (a list over the whole book) does nothing there.

export const MAX_GUARD = 16 * CHUNK_SIZE
const SLACK = CHUNK_SIZE / 4
/** Chunks smaller than this are joined to a neighbour (see `joinUndersized`). */
export const MIN_CHUNK = SLACK + 2

export const chunkGuardKey = new PluginKey('chunkGuard')

/** The flat index of the block holding (or, between blocks, after) document position `pos`. */
export function blockIndexAt(doc: PMNode, pos: number): number {
  const $pos = doc.resolve(pos)
  const c = $pos.index(0)
  if (c >= doc.childCount) return blockCount(doc) - 1
  if ($pos.depth === 0) return chunkStart(doc, c)
  const chunk = doc.child(c)
  return chunkStart(doc, c) + Math.min($pos.index(1), chunk.childCount - 1)
}

/** Moves blocks up to flat index `to` (exclusive) from the chunks after chunk `c` into it. */
function absorbAfter(tr: Transaction, c: number, to: number): void {
  const doc = tr.doc
  const last = chunkAt(doc, to - 1)
  if (to < chunkStart(doc, last + 1)) {
    const rest = doc.child(last)
    tr.split(blockPos(doc, to), 1, [{ type: rest.type, attrs: { key: keyOf(rest) } }])
  }
  for (let k = last; k > c; k--) tr.join(chunkPos(tr.doc, k))
}

/** Moves blocks from flat index `from` on, from the chunks before chunk `c`, into it. */
function absorbBefore(tr: Transaction, c: number, from: number): void {
  const doc = tr.doc
  const key = keyOf(doc.child(c))
  let first = chunkAt(doc, from)
  let target = c
  if (from > chunkStart(doc, first)) {
    const chunk = doc.child(first)
    tr.split(blockPos(doc, from), 1, [{ type: chunk.type, attrs: { key } }])
    first++
    target++
  }
  for (let k = target; k > first; k--) tr.join(chunkPos(tr.doc, k))
  // Joining keeps the first chunk's key; the blocks that kept their DOM were chunk c's.
  if (keyOf(tr.doc.child(first)) !== key) {
    tr.setNodeMarkup(chunkPos(tr.doc, first), undefined, { key })
  }
}

/** The selection's blocks, one on either side, in the anchor's chunk. Returns whether it moved any. */
export function gatherSelection(tr: Transaction): boolean {
  const { doc, selection } = tr
  if (selection instanceof AllSelection) return false
  const count = blockCount(doc)
  const anchor = blockIndexAt(doc, selection.anchor)
  const head = blockIndexAt(doc, selection.head)
  const lo = Math.max(0, Math.min(anchor, head) - 1)
  const hi = Math.min(count - 1, Math.max(anchor, head) + 1)
  if (hi - lo + 1 > MAX_GUARD) return false
  const c = chunkAt(doc, anchor)
  const start = chunkStart(doc, c)
  const end = chunkStart(doc, c + 1)
  if (lo >= start && hi < end) return false
  // After first: it leaves the positions before chunk c's end as they were.
  if (hi >= end) absorbAfter(tr, c, Math.min(count, hi + 1 + SLACK))
  if (lo < start) absorbBefore(tr, c, Math.max(0, lo - SLACK))
  return true
}

/**
 * Cuts chunks that grew past twice CHUNK_SIZE, never between the selection's blocks. The piece
 * holding the anchor keeps the chunk's key, so its DOM (and the caret's block) is kept.
 */
export function cutOversized(tr: Transaction): boolean {
  const doc = tr.doc
  const { selection } = tr
  const a = blockIndexAt(doc, selection.anchor)
  const h = blockIndexAt(doc, selection.head)
  const lo = Math.min(a, h) - 1
  const hi = Math.max(a, h) + 1
  let cut = false
  // From the last chunk, so that earlier positions still hold.
  for (let c = doc.childCount - 1; c >= 0; c--) {
    const chunk = doc.child(c)
    if (chunk.childCount <= 2 * CHUNK_SIZE) continue
    const start = chunkStart(doc, c)
    const cuts: number[] = []
    for (let at = start + CHUNK_SIZE; at <= start + chunk.childCount - CHUNK_SIZE / 2;) {
      if (at <= lo || at > hi) cuts.push(at)
      at += CHUNK_SIZE
    }
    if (cuts.length === 0) continue
    cut = true
    const key = keyOf(chunk)
    // The piece holding the anchor: how many cuts lie at or before the anchor's block.
    const anchorPiece = cuts.filter((at) => at <= a).length
    for (let i = cuts.length - 1; i >= 0; i--) {
      const pieceKey = i + 1 === anchorPiece ? key : freshKey()
      tr.split(blockPos(doc, cuts[i] as number), 1, [
        { type: chunk.type, attrs: { key: pieceKey } },
      ])
    }
    if (anchorPiece > 0) tr.setNodeMarkup(chunkPos(tr.doc, c), undefined, { key: freshKey() })
  }
  return cut
}

/**
 * Joins chunks of fewer than MIN_CHUNK blocks (what gathering leaves behind) to a neighbour.
 * Why: ProseMirror's view matches a changed chunk only with the old chunk right after the last
 * one it matched (or an identical one a few places on), so gathering blocks into the anchor's
 * chunk from a whole chunk before it would rebuild the anchor's block. With no small chunk
 * before it, a caret arriving at a chunk's first block always leaves some blocks of the previous
 * chunk in place. A join is itself safe for the view only while the chunk after the joined pair
 * is one it already shows (`shown`, the chunks of the document before this update): so small
 * chunks wait for an update that leaves their neighbours alone.
 */
export function joinUndersized(tr: Transaction, shown: PMNode): boolean {
  const doc = tr.doc
  const before = new Set<PMNode>()
  shown.forEach((chunk) => before.add(chunk))
  const anchor = chunkAt(doc, blockIndexAt(doc, tr.selection.anchor))
  const fits = (a: number, b: number): boolean =>
    doc.child(a).childCount + doc.child(b).childCount <= 2 * CHUNK_SIZE
  // The chunk after index `c` is one the view shows (or there is none).
  const settledAfter = (c: number): boolean =>
    c + 1 >= doc.childCount || before.has(doc.child(c + 1))
  let joined = false
  let c = doc.childCount - 1
  while (c >= 0) {
    const small = c !== anchor && doc.child(c).childCount < MIN_CHUNK
    if (small && c > 0 && fits(c - 1, c) && settledAfter(c)) {
      tr.join(chunkPos(doc, c))
      joined = true
      c -= 2
    } else if (
      small &&
      c + 1 < doc.childCount &&
      c + 1 !== anchor &&
      fits(c, c + 1) &&
      settledAfter(c + 1)
    ) {
      tr.join(chunkPos(doc, c + 1))
      joined = true
      c -= 1
    } else c -= 1
  }
  return joined
}

export const ChunkGuard = Extension.create({
  name: 'chunkGuard',
  addProseMirrorPlugins() {
    return [
      new Plugin({
        key: chunkGuardKey,
        appendTransaction(transactions, old, state) {
          if (!transactions.some((t) => t.docChanged || t.selectionSet)) return null
          const tr = state.tr
          const docChanged = transactions.some((t) => t.docChanged)
          const cut = docChanged && cutOversized(tr)
          const gathered = gatherSelection(tr)
          const joined = !gathered && joinUndersized(tr, old.doc)
          if (!cut && !gathered && !joined) return null
          // Nothing a user did and nothing Yjs holds changed: peers, undo and autolink skip it,
          // and remote carets are drawn again from Yjs, as after a remote change.
          return tr.setMeta(chunkGuardKey, true).setMeta(ySyncPluginKey, { isChangeOrigin: true })
        },
      }),
    ]
  },
})
