import type { Node as PMNode } from '@tiptap/pm/model'
import { Fragment, Slice } from '@tiptap/pm/model'
import type { Transform } from '@tiptap/pm/transform'
import type { BlockReplace } from '../doc/block-sync'
import {
  blockCount,
  blockPos,
  blocksBetween,
  chunkAt,
  chunkedBlocks,
  chunkify,
  chunkPos,
  chunkStart,
  keyOf,
} from './chunks'

// A remote change of flat blocks (block-sync.ts's BlockReplace) applied to the editor's chunked
// document (BIND-1, BIND-6). An edit inside blocks replaces just those blocks where they are;
// a change that adds or removes blocks rebuilds the chunks it falls in, keeping the first one's
// key so that ProseMirror's view keeps its DOM and the DOM of every block not replaced.

/**
 * Applies `change` to `tr`. Returns false when ProseMirror had to fit the content (an empty
 * body gets a paragraph): the document then differs from Yjs, and the next local write must
 * diff the whole body.
 */
export function applyChunked(tr: Transform, change: BlockReplace): boolean {
  const doc = tr.doc
  if (change.removed === change.nodes.length) replaceInPlace(tr, doc, change)
  else rebuildChunks(tr, doc, change)
  if (blockCount(tr.doc) !== change.total) return false
  const blocks = chunkedBlocks(tr.doc)
  return change.nodes.every((node, i) => blocks.block(change.index + i) === node)
}

// From the last block to the first, so the positions of the earlier ones still hold.
function replaceInPlace(tr: Transform, doc: PMNode, change: BlockReplace): void {
  const old = chunkedBlocks(doc)
  for (let k = change.nodes.length - 1; k >= 0; k--) {
    const index = change.index + k
    const before = old.block(index)
    const node = change.nodes[k] as PMNode
    if (node === before) continue
    const pos = blockPos(doc, index)
    tr.replaceWith(pos, pos + before.nodeSize, node)
  }
}

function rebuildChunks(tr: Transform, doc: PMNode, change: BlockReplace): void {
  const { index, removed } = change
  // An insertion goes into the chunk of the block before it (the first chunk at the start).
  const first = chunkAt(doc, removed === 0 && index > 0 ? index - 1 : index)
  const last = removed === 0 ? first : chunkAt(doc, index + removed - 1)
  const from = chunkStart(doc, first)
  const to = chunkStart(doc, last + 1)
  const blocks = [
    ...blocksBetween(doc, from, index),
    ...change.nodes,
    ...blocksBetween(doc, index + removed, to),
  ]
  const chunks = chunkify(doc.child(first).type, blocks, keyOf(doc.child(first)))
  tr.replace(
    chunkPos(doc, first),
    chunkPos(doc, last + 1),
    new Slice(Fragment.fromArray(chunks), 0, 0),
  )
}
