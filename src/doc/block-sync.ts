import type { Node as PMNode, Schema } from '@tiptap/pm/model'
import { Fragment, Slice } from '@tiptap/pm/model'
import type { Transform } from '@tiptap/pm/transform'
import { updateYFragment } from '@tiptap/y-tiptap'
import * as Y from 'yjs'
import type { BindingMeta } from './y-render'
import { nodeOf } from './y-render'

// The hot path of the editor binding, block by block (rules BIND-1..4 in docs/SPEC.md).
//
// Since 3.0.6, y-tiptap clears its Y -> ProseMirror mapping on every remote change, rebuilds every
// node and replaces the whole document, and on every local change it diffs the whole list of
// top-level blocks: each edit costs time in proportion to the document (y-prosemirror #113).
// Here a remote change rebuilds only the blocks whose Yjs subtree changed (every other block,
// and every unchanged node inside a changed one, keeps its identity) and becomes one replace of
// the range of top-level blocks that differ; a local change writes only the top-level blocks the
// transaction replaced, with y-tiptap's own `updateYFragment` so the Yjs operations are the ones
// upstream would make. Both the editor (src/editor/block-binding.ts) and the headless bridge
// (pm-bridge.ts, which the convergence fuzz drives) run this code.

/**
 * Forgets the mapping of every type `transaction` changed, deleted, or changed below: what is
 * left in the mapping is a node that still shows its type (what y-tiptap did before 3.0.6).
 */
export function forgetChanged(meta: BindingMeta, transaction: Y.Transaction): void {
  Y.iterateDeletedStructs(transaction, transaction.deleteSet, (struct) => {
    if (struct instanceof Y.Item && struct.content instanceof Y.ContentType) {
      meta.mapping.delete(struct.content.type)
    }
  })
  transaction.changed.forEach((_keys, type) => meta.mapping.delete(type))
  transaction.changedParentTypes.forEach((_events, type) => meta.mapping.delete(type))
}

/**
 * The top-level blocks of a rendered document, however it groups them: the headless bridge's
 * document holds them directly, the editor's under chunks (src/editor/chunks.ts, BIND-6).
 */
export interface BlockList {
  readonly count: number
  /** Block `index`; cheap when called for consecutive indices. */
  block(index: number): PMNode
  /** The index of `node` (by identity), or -1. */
  indexOf(node: PMNode): number
  all(): readonly PMNode[]
}

/** The blocks of a document that holds them directly. */
export function flatBlocks(doc: PMNode): BlockList {
  return {
    count: doc.childCount,
    block: (index) => doc.child(index),
    indexOf: (node) => doc.content.content.indexOf(node),
    all: () => doc.content.content,
  }
}

/** One replace of top-level blocks: `removed` old blocks from `index` on become `nodes`. */
export interface BlockReplace {
  /** Index of the first replaced block, the same in the old and the new document. */
  readonly index: number
  /** How many old blocks the replace removes. */
  readonly removed: number
  readonly nodes: readonly PMNode[]
  /** Top-level blocks of the new document. */
  readonly total: number
}

/** The top-level blocks of `fragment`, reusing mapped nodes; builds (and maps) the others. */
export function currentBlocks(
  fragment: Y.XmlFragment,
  schema: Schema,
  meta: BindingMeta,
): PMNode[] {
  const blocks: PMNode[] = []
  // Walk the item list directly: `toArray()` would allocate a second array of every block.
  for (let item = fragment._start; item !== null; item = item.right) {
    if (item.deleted || !(item.content instanceof Y.ContentType)) continue
    const type = item.content.type
    // y-tiptap renders elements only (it throws on hooks); a top-level text is not in our schema.
    if (!(type instanceof Y.XmlElement)) continue
    const node = nodeOf(type as Y.XmlElement, schema, meta)
    if (node !== null) blocks.push(node)
  }
  return blocks
}

/**
 * What turns `old` into the document `fragment` holds now, or null if nothing changed. Call
 * after `forgetChanged` for every transaction since `old` was rendered.
 */
export function renderBlocks(
  fragment: Y.XmlFragment,
  schema: Schema,
  meta: BindingMeta,
  old: BlockList,
): BlockReplace | null {
  const blocks = currentBlocks(fragment, schema, meta)
  const oldCount = old.count
  let start = 0
  while (start < blocks.length && start < oldCount && blocks[start] === old.block(start)) start++
  let endOld = oldCount
  let endNew = blocks.length
  while (endOld > start && endNew > start && blocks[endNew - 1] === old.block(endOld - 1)) {
    endOld--
    endNew--
  }
  if (start === endOld && start === endNew) return null
  return {
    index: start,
    removed: endOld - start,
    nodes: blocks.slice(start, endNew),
    total: blocks.length,
  }
}

/**
 * The top-level blocks Yjs transactions changed inside, each with the node it showed before, so
 * that a remote edit is rendered without a walk over every block (BIND-1): 8 ms per edit at
 * 23,000 blocks. Note each transaction before `forgetChanged` forgets its nodes. A transaction
 * that adds or removes top-level blocks, or touches a block not shown, makes the next render
 * walk the body instead, as `renderBlocks` does.
 */
export class TouchedBlocks {
  private walk = false
  private readonly shown = new Map<Y.XmlElement, PMNode>()

  note(fragment: Y.XmlFragment, transaction: Y.Transaction, meta: BindingMeta): void {
    if (this.walk) return
    // Its own child list changed: blocks were added or removed.
    if ((transaction.changed as Map<object, unknown>).has(fragment)) {
      this.walk = true
      return
    }
    const note = (type: object): boolean => {
      const block = topLevelOf(fragment, type)
      if (block === undefined) return true
      if (block === null) return false
      if (this.shown.has(block)) return true
      const node = meta.mapping.get(block) as PMNode | undefined
      if (node === undefined) return false
      this.shown.set(block, node)
      return true
    }
    for (const type of transaction.changed.keys()) if (!note(type)) return this.walkNext()
    for (const type of transaction.changedParentTypes.keys())
      if (!note(type)) return this.walkNext()
  }

  /** What turns `old` into what `fragment` holds now; forgets what was noted. */
  render(
    fragment: Y.XmlFragment,
    schema: Schema,
    meta: BindingMeta,
    old: BlockList,
  ): BlockReplace | null {
    const walk = this.walk
    const shown = [...this.shown]
    this.walk = false
    this.shown.clear()
    if (walk || fragment.length !== old.count) return renderBlocks(fragment, schema, meta, old)
    if (shown.length === 0) return null
    const at = new Map<number, Y.XmlElement>()
    for (const [block, node] of shown) {
      const index = old.indexOf(node)
      if (index < 0 || block._item?.deleted !== false) {
        return renderBlocks(fragment, schema, meta, old)
      }
      at.set(index, block)
    }
    const first = Math.min(...at.keys())
    const last = Math.max(...at.keys())
    const nodes: PMNode[] = []
    for (let i = first; i <= last; i++) {
      const block = at.get(i)
      const node = block === undefined ? old.block(i) : nodeOf(block, schema, meta)
      // Not renderable (upstream deleted it): the body changed under us; walk it.
      if (node === null) return renderBlocks(fragment, schema, meta, old)
      nodes.push(node)
    }
    return { index: first, removed: nodes.length, nodes, total: old.count }
  }

  private walkNext(): void {
    this.walk = true
    this.shown.clear()
  }
}

/**
 * The top-level block `type` is in: null when it is in none the fragment shows (deleted or
 * detached), undefined when it is the fragment itself or outside it (another root type).
 */
function topLevelOf(fragment: Y.XmlFragment, type: object): Y.XmlElement | null | undefined {
  let current = type as { readonly _item: Y.Item | null }
  for (;;) {
    const item = current._item
    if (item === null) return undefined
    if (item.parent === fragment) {
      return current instanceof Y.XmlElement && !item.deleted ? current : null
    }
    if (!(item.parent instanceof Y.AbstractType)) return null
    current = item.parent
  }
}

/**
 * Whether `change` may have moved blocks (y-tiptap's structural change): it adds or removes
 * blocks, or rewrites more than one. Editing inside one block never moves one.
 */
export function isStructural(change: BlockReplace): boolean {
  return change.removed !== change.nodes.length || change.nodes.length > 1
}

/**
 * Applies `change` to `tr` (a document holding its blocks directly) as one replace step.
 * Returns false when ProseMirror had to fit the content (an empty body gets a paragraph): the
 * document then differs from Yjs, as upstream's would, and the next local write must diff the
 * whole body.
 */
export function applyBlocks(tr: Transform, change: BlockReplace): boolean {
  let from = 0
  for (let i = 0; i < change.index; i++) from += tr.doc.child(i).nodeSize
  let to = from
  for (let i = change.index; i < change.index + change.removed; i++) to += tr.doc.child(i).nodeSize
  tr.replace(from, to, new Slice(Fragment.fromArray([...change.nodes]), 0, 0))
  if (tr.doc.childCount !== change.total) return false
  return change.nodes.every((node, i) => tr.doc.child(change.index + i) === node)
}

// `updateYFragment` reads and edits its fragment only through these calls (y-tiptap 3.0.9;
// test/unit/doc/block-sync.test.ts fails if that changes): a window onto the changed blocks
// lets it reconcile them (splits, joins, moves) exactly as it would the whole body.
interface FragmentWindow {
  toArray(): Y.XmlElement[]
  get(index: number): Y.XmlElement
  slice(start: number, end: number): Y.XmlElement[]
  delete(index: number, length: number): void
  insert(index: number, content: Y.XmlElement[]): void
}

function windowOf(
  fragment: Y.XmlFragment,
  start: number,
  children: Y.XmlElement[],
): FragmentWindow {
  return {
    toArray: () => children.slice(),
    get: (index) => fragment.get(start + index) as Y.XmlElement,
    slice: (a, b) => fragment.slice(start + a, start + b) as Y.XmlElement[],
    delete: (index, length) => fragment.delete(start + index, length),
    insert: (index, content) => fragment.insert(start + index, content),
  }
}

// The same window kept by its elements: Yjs finds an index in a fragment by walking every item
// before it (an XmlFragment has no search markers), ~5 ms per call at 23,000 blocks before the
// JIT warms up, several calls per keystroke. Here inserts go after a known element and deletes
// go by item, so nothing walks the body. `before` is the element before the window (null at
// the start of the body).
function liveWindowOf(
  fragment: Y.XmlFragment,
  before: Y.XmlElement | null,
  children: Y.XmlElement[],
): FragmentWindow {
  const live = children.slice()
  return {
    toArray: () => live.slice(),
    get: (index) => live[index] as Y.XmlElement,
    slice: (a, b) => live.slice(a, b),
    delete: (index, length) => {
      const gone = live.splice(index, length)
      fragment.doc?.transact((tr) => {
        for (const type of gone) type._item?.delete(tr)
      })
    },
    insert: (index, content) => {
      const after = index === 0 ? before : (live[index - 1] as Y.XmlElement)
      fragment.insertAfter(after, content)
      live.splice(index, 0, ...content)
    },
  }
}

/** The blocks two lists do not share: `start`..`endOld` of the old become `start`..`endNew`. */
export interface BlockDiff {
  readonly start: number
  readonly endOld: number
  readonly endNew: number
}

/** Where `prev` and `next` differ, comparing blocks by identity from both ends. */
export function diffBlocks(prev: BlockList, next: BlockList): BlockDiff {
  const oldCount = prev.count
  const newCount = next.count
  let start = 0
  while (start < oldCount && start < newCount && prev.block(start) === next.block(start)) start++
  let endOld = oldCount
  let endNew = newCount
  while (endOld > start && endNew > start && prev.block(endOld - 1) === next.block(endNew - 1)) {
    endOld--
    endNew--
  }
  return { start, endOld, endNew }
}

/**
 * Writes the local change `prev` -> `next` into `fragment`, touching only the top-level blocks
 * `next` does not share with `prev` (found by `diff`; a grouping of the blocks may know a faster
 * way). `prev` must be what `fragment` holds (the document last rendered from it or written to
 * it); when that cannot be shown cheaply, the whole body is diffed as upstream does.
 */
export function writeBlocks(
  y: Y.Doc,
  fragment: Y.XmlFragment,
  prev: BlockList | null,
  next: BlockList,
  meta: BindingMeta,
  diff: (prev: BlockList, next: BlockList) => BlockDiff = diffBlocks,
  elementOf?: (node: PMNode) => Y.XmlElement | null,
): void {
  if (prev === null || fragment.length !== prev.count) {
    writeWhole(y, fragment, next, meta)
    return
  }
  const { start, endOld, endNew } = diff(prev, next)
  if (start === endOld && start === endNew) return
  const known = elementOf && elementsOf(prev, start, endOld, elementOf)
  const children = known ? known.children : fragment.slice(start, endOld)
  const inSync = children.every(
    (type, i) => type instanceof Y.XmlElement && meta.mapping.get(type) === prev.block(start + i),
  )
  if (!inSync) {
    writeWhole(y, fragment, next, meta)
    return
  }
  const changed: PMNode[] = []
  for (let i = start; i < endNew; i++) changed.push(next.block(i))
  const elements = children as Y.XmlElement[]
  const window = known
    ? liveWindowOf(fragment, known.before, elements)
    : windowOf(fragment, start, elements)
  // A stand-in for the document node holding only the changed blocks: `updateYFragment` reads
  // `content.content` of it, and sets (harmlessly) a mapping entry for the window, removed below.
  const part = { content: { content: changed } }
  const stand = window as unknown as Y.XmlFragment
  updateYFragment(y, stand, part, meta)
  meta.mapping.delete(stand)
}

/** The elements showing blocks `start`..`end` of `prev` and the one before, if all are known. */
function elementsOf(
  prev: BlockList,
  start: number,
  end: number,
  elementOf: (node: PMNode) => Y.XmlElement | null,
): { before: Y.XmlElement | null; children: Y.XmlElement[] } | null {
  const before = start === 0 ? null : elementOf(prev.block(start - 1))
  if (start > 0 && before === null) return null
  const children: Y.XmlElement[] = []
  for (let i = start; i < end; i++) {
    const element = elementOf(prev.block(i))
    if (element === null) return null
    children.push(element)
  }
  return { before, children }
}

// Upstream's whole-body diff, given the blocks as the node it reads (`content.content` only).
function writeWhole(y: Y.Doc, fragment: Y.XmlFragment, next: BlockList, meta: BindingMeta): void {
  updateYFragment(y, fragment, { content: { content: next.all() } }, meta)
}
