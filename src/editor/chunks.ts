import { Node } from '@tiptap/core'
import type { Node as PMNode, NodeType } from '@tiptap/pm/model'
import { Fragment } from '@tiptap/pm/model'
import type { BlockDiff, BlockList } from '../doc/block-sync'

// The editor groups its top-level blocks under invisible containers ("chunks") of about
// CHUNK_SIZE blocks (rule BIND-6). Chromium styles and lays out the children of one element in
// time proportional to their number: 23,460 sibling paragraphs cost plain Tiptap 16.7 ms per
// keystroke before any collaboration, and the same blocks under 367 containers 0.9 ms
// (bench/chunked-floor.ts). Chunks exist only in the editor: the Yjs body, every peer, the
// headless bridge, exports and versions see the flat list of blocks. So this file is the one map
// between the two: block indices and positions of the flat list <-> the chunked document.
//
// A position in the flat document ("flat position") is what y-tiptap's relative-position
// functions speak; in the chunked document each chunk adds an opening and a closing token.

/** Blocks per chunk when chunks are made; a chunk may hold up to twice as many before it splits. */
export const CHUNK_SIZE = 64

/** The chunk's node name: one the document never holds (EDITOR_ONLY_NODES, THREAT-12). */
export const CHUNK = 'chunk'

/** `doc: chunk+` in place of StarterKit's `doc: block+` (the editor's schema only). */
export const ChunkedDocument = Node.create({ name: 'doc', topNode: true, content: 'chunk+' })

export const Chunk = Node.create({
  name: CHUNK,
  content: 'block+',
  // Never a node selection: a chunk is not something a user made, and typing over one would
  // replace 64 blocks at once.
  selectable: false,
  addAttributes: () => ({
    // Which chunk this is, so that ProseMirror's view keeps a chunk's DOM (and the DOM of the
    // blocks in it) when chunks around it are rebuilt: it reuses a node's view only for a node
    // of the same markup, trying the old chunks in order. Never rendered, never in Yjs.
    key: { default: 0, rendered: false },
  }),
  // Copied HTML carries the container; pasted back, only its blocks are read (a chunk is
  // never content the user made).
  parseHTML: () => [],
  renderHTML: () => ['div', { class: 'chunk' }, 0],
})

let lastKey = 0

/** A key no chunk has had. */
export function freshKey(): number {
  return ++lastKey
}

/** A chunk of `blocks`, with the key of the chunk it continues, or a new one. */
export function makeChunk(chunkType: NodeType, blocks: readonly PMNode[], key?: number): PMNode {
  return chunkType.create({ key: key ?? freshKey() }, Fragment.fromArray(blocks))
}

export function keyOf(chunk: PMNode): number {
  return chunk.attrs['key'] as number
}

/**
 * Groups `blocks` into chunks of about CHUNK_SIZE (none empty; none for no blocks); the first
 * takes `firstKey`. Up to twice CHUNK_SIZE blocks stay one chunk, so that one block more does
 * not split a chunk.
 */
export function chunkify(
  chunkType: NodeType,
  blocks: readonly PMNode[],
  firstKey?: number,
): PMNode[] {
  if (blocks.length === 0) return []
  const count = blocks.length <= 2 * CHUNK_SIZE ? 1 : Math.round(blocks.length / CHUNK_SIZE)
  const chunks: PMNode[] = []
  for (let c = 0; c < count; c++) {
    const from = Math.floor((c * blocks.length) / count)
    const to = Math.floor(((c + 1) * blocks.length) / count)
    chunks.push(makeChunk(chunkType, blocks.slice(from, to), c === 0 ? firstKey : undefined))
  }
  return chunks
}

/** Flat blocks `from`..`to` (exclusive) of `doc`. */
export function blocksBetween(doc: PMNode, from: number, to: number): PMNode[] {
  const list = chunkedBlocks(doc)
  const blocks: PMNode[] = []
  for (let i = from; i < to; i++) blocks.push(list.block(i))
  return blocks
}

/** Where each chunk's blocks start in the flat list, and its position in the document. */
interface ChunkIndex {
  /** starts[c]: flat index of chunk c's first block; starts[chunkCount] = block count. */
  readonly starts: readonly number[]
  /** pos[c]: document position before chunk c. */
  readonly pos: readonly number[]
}

const indexes = new WeakMap<PMNode, ChunkIndex>()

function indexOf(doc: PMNode): ChunkIndex {
  const known = indexes.get(doc)
  if (known !== undefined) return known
  const starts = [0]
  const pos = [0]
  doc.forEach((chunk) => {
    starts.push((starts[starts.length - 1] as number) + chunk.childCount)
    pos.push((pos[pos.length - 1] as number) + chunk.nodeSize)
  })
  const index = { starts, pos }
  indexes.set(doc, index)
  return index
}

/** The last index in `0..last` whose value in the ascending `values` is at most `x` (or 0). */
function lastAtMost(values: readonly number[], x: number, last: number): number {
  let lo = 0
  let hi = last
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if ((values[mid] as number) <= x) lo = mid
    else hi = mid - 1
  }
  return lo
}

/** The chunk holding flat block `block` (the last chunk for the index past the end). */
export function chunkAt(doc: PMNode, block: number): number {
  const { starts } = indexOf(doc)
  return lastAtMost(starts, block, starts.length - 2)
}

/** One chunk holding one empty textblock: the editor's document before it has any content. */
export function isEmptyDocument(doc: PMNode): boolean {
  const block = doc.firstChild?.firstChild
  return (
    doc.childCount === 1 &&
    doc.firstChild?.childCount === 1 &&
    block?.isTextblock === true &&
    block.content.size === 0
  )
}

/** Flat index of the first block of chunk `c`. */
export function chunkStart(doc: PMNode, c: number): number {
  return indexOf(doc).starts[c] as number
}

/** Document position before chunk `c` (c = childCount: the end of the document). */
export function chunkPos(doc: PMNode, c: number): number {
  return indexOf(doc).pos[c] as number
}

export function blockCount(doc: PMNode): number {
  const { starts } = indexOf(doc)
  return starts[starts.length - 1] as number
}

/** Document position before flat block `block` (inside its chunk). */
export function blockPos(doc: PMNode, block: number): number {
  const c = chunkAt(doc, block)
  const chunk = doc.child(c)
  let pos = chunkPos(doc, c) + 1
  const before = block - chunkStart(doc, c)
  for (let i = 0; i < before; i++) pos += chunk.child(i).nodeSize
  return pos
}

/** The flat list of blocks of a chunked document, with O(1) sequential access. */
export function chunkedBlocks(doc: PMNode): BlockList {
  const { starts } = indexOf(doc)
  let c = 0
  const locate = (i: number): void => {
    if (i >= (starts[c] as number) && i < (starts[c + 1] as number)) return
    if (i >= (starts[c + 1] as number) && i < (starts[c + 2] ?? -1)) c++
    else c = chunkAt(doc, i)
  }
  return {
    count: starts[starts.length - 1] as number,
    block(i) {
      locate(i)
      return doc.child(c).child(i - (starts[c] as number))
    },
    indexOf(node) {
      for (let k = 0; k < doc.childCount; k++) {
        const at = doc.child(k).content.content.indexOf(node)
        if (at >= 0) return (starts[k] as number) + at
      }
      return -1
    },
    all() {
      const blocks: PMNode[] = []
      doc.forEach((chunk) => chunk.forEach((block) => blocks.push(block)))
      return blocks
    },
  }
}

/** The flat position of document position `pos`. */
export function toFlat(doc: PMNode, pos: number): number {
  const { pos: at } = indexOf(doc)
  // The chunk whose range holds pos: at[c] <= pos < at[c + 1].
  const lo = lastAtMost(at, pos, at.length - 1)
  // Before chunk lo (between chunks, or the end): lo chunks' tokens lie before it.
  if (pos === at[lo]) return pos - 2 * lo
  return pos - 2 * lo - 1
}

/**
 * The document position of flat position `flat`. Between two chunks it is the end of the
 * earlier one, or with `before` (a position before a block, as a node selection's) the start
 * of the later one.
 */
export function toPm(doc: PMNode, flat: number, before = false): number {
  const { pos: at } = indexOf(doc)
  const chunks = at.length - 1
  let lo = 0
  let hi = chunks - 1
  // The first chunk whose content ends at or after `flat`: its content ends at at[c+1] - 1,
  // i.e. at flat at[c+1] - 1 - (2c + 1).
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if ((at[mid + 1] as number) - 2 * mid - 2 >= flat) hi = mid
    else lo = mid + 1
  }
  const pos = flat + 2 * lo + 1
  const atEnd = pos === (at[lo + 1] as number) - 1
  return before && atEnd && lo + 1 < chunks ? pos + 2 : pos
}

/** The same document with its blocks directly under the top node, as Yjs and exports see it. */
export function flatten(doc: PMNode): PMNode {
  if (doc.firstChild?.type.name !== CHUNK) return doc
  return doc.type.create(doc.attrs, Fragment.fromArray(chunkedBlocks(doc).all()))
}

/**
 * Where two chunked documents' blocks differ (block-sync.ts's `diffBlocks`), skipping the chunks
 * they share at both ends: a keystroke compares one chunk's blocks, not every block.
 */
export function diffChunked(prev: PMNode, next: PMNode): BlockDiff {
  const a = chunkedBlocks(prev)
  const b = chunkedBlocks(next)
  let start = 0
  let c = 0
  while (c < prev.childCount && c < next.childCount && prev.child(c) === next.child(c)) {
    start += prev.child(c).childCount
    c++
  }
  while (start < a.count && start < b.count && a.block(start) === b.block(start)) start++
  let endOld = a.count
  let endNew = b.count
  let ca = prev.childCount - 1
  let cb = next.childCount - 1
  while (ca >= 0 && cb >= 0 && prev.child(ca) === next.child(cb)) {
    const size = prev.child(ca).childCount
    if (endOld - size < start || endNew - size < start) break
    endOld -= size
    endNew -= size
    ca--
    cb--
  }
  while (endOld > start && endNew > start && a.block(endOld - 1) === b.block(endNew - 1)) {
    endOld--
    endNew--
  }
  return { start, endOld, endNew }
}
