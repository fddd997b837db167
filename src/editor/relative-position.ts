import type { Node as PMNode } from '@tiptap/pm/model'
import type { ProsemirrorBinding } from '@tiptap/y-tiptap'
import {
  absolutePositionToRelativePosition,
  isMisresolvedTextPosition,
  relativePositionToAbsolutePosition,
} from '@tiptap/y-tiptap'
import * as Y from 'yjs'
import { blockIndexAt } from './chunk-guard'
import { blockPos, chunkedBlocks, toFlat, toPm } from './chunks'

// Document positions <-> Yjs relative positions, as y-tiptap 3.0.9's
// `absolutePositionToRelativePosition` and `relativePositionToAbsolutePosition` compute them,
// without their walk over every block before the position. Upstream's walk over 23,000 blocks
// took about a millisecond, four times per keystroke (the caret published, the undo plugin's
// selection) and again per remote edit (the selection restored, each collaborator's caret).
// Here the walk starts (or stops) at the top-level block that holds the position, found through a
// reverse of the binding's mapping (ProseMirror block -> its Y.XmlElement) or the mapping itself,
// and that block's place in the chunked document; inside it the loop is upstream's, so the result
// is upstream's. When the block is not known (not mapped), upstream's function runs.

type Mapping = ProsemirrorBinding['mapping']

const reverses = new WeakMap<Mapping, WeakMap<object, Y.XmlElement>>()

/** Records, for every node the binding maps, its Yjs element. Call before the first render. */
export function trackReverse(binding: ProsemirrorBinding): void {
  const mapping = binding.mapping
  const reverse = new WeakMap<object, Y.XmlElement>()
  reverses.set(mapping, reverse)
  const set = mapping.set.bind(mapping)
  mapping.set = (type, node) => {
    if (type instanceof Y.XmlElement && !Array.isArray(node))
      reverse.set(node, type as Y.XmlElement)
    return set(type, node)
  }
}

/** The Yjs element showing top-level `node`, if it still does. */
export function elementOf(binding: ProsemirrorBinding, node: PMNode): Y.XmlElement | null {
  const type = reverses.get(binding.mapping)?.get(node)
  if (type === undefined || binding.mapping.get(type) !== node) return null
  const item = type._item
  return item !== null && !item.deleted && item.parent === binding.type ? type : null
}

/** Document position `pos` of the (chunked) `doc` as a relative position in the binding's body. */
export function relativePosition(
  binding: ProsemirrorBinding,
  doc: PMNode,
  pos: number,
): Y.RelativePosition {
  const flat = toFlat(doc, pos)
  const fragment = binding.type
  const upstream = (): Y.RelativePosition =>
    absolutePositionToRelativePosition(flat, fragment, binding.mapping) as Y.RelativePosition
  if (flat === 0) return upstream()
  const index = blockIndexAt(doc, pos)
  const block = chunkedBlocks(doc).block(index)
  const type = elementOf(binding, block)
  if (type === null) return upstream()
  const start = toFlat(doc, blockPos(doc, index))
  const offset = flat - start
  // Between blocks (before this one): upstream's walk stops here, at the block's item.
  if (offset === 0) return new Y.RelativePosition(null, Y.findRootTypeKey(fragment), type._item!.id)
  if (offset < 0 || offset >= block.nodeSize) return upstream()
  return walkFrom(fragment, type, offset, binding.mapping) ?? upstream()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Yjs types of any event
type YNode = Y.AbstractType<any>

/**
 * Relative position `rel` as a position of the (chunked) `doc`, or null where upstream's gives
 * null (deleted, outside the body, or a text position it calls misresolved). `before`: at a chunk
 * edge, the start of the later chunk (toPm).
 */
export function absolutePosition(
  binding: ProsemirrorBinding,
  doc: PMNode,
  rel: Y.RelativePosition,
  before = false,
): number | null {
  const fragment = binding.type as unknown as YNode
  const upstream = (): number | null => {
    const flat = relativePositionToAbsolutePosition(binding.doc, binding.type, rel, binding.mapping)
    return flat === null ? null : toPm(doc, flat, before)
  }
  const decoded = Y.createAbsolutePositionFromRelativePosition(rel, binding.doc)
  if (decoded === null) return null
  let top = decoded.type as YNode
  while (top._item !== null && top._item.parent !== fragment) top = top._item.parent as YNode
  if (top === fragment || top._item === null || top._item.deleted) return upstream()
  const node = binding.mapping.get(top) as PMNode | undefined
  const index = node === undefined ? -1 : chunkedBlocks(doc).indexOf(node)
  const inner = index < 0 ? null : offsetInside(decoded, top, binding.mapping)
  if (inner === null) return upstream()
  const flat = toFlat(doc, blockPos(doc, index)) + inner
  if (isMisresolvedTextPosition(binding.doc, rel, flat)) return null
  return toPm(doc, flat, before)
}

const sizeOf = (type: YNode, mapping: Mapping): number | null => {
  if (type instanceof Y.XmlText) return type._length
  const mapped = mapping.get(type) as PMNode | undefined
  return mapped === undefined ? null : mapped.nodeSize
}

/** Upstream's sum, from the position up to top-level block `top`: its offset from the block's start. */
function offsetInside(decoded: Y.AbsolutePosition, top: YNode, mapping: Mapping): number | null {
  let type = decoded.type as YNode
  let pos = 0
  if (type instanceof Y.XmlText) {
    pos = decoded.index
  } else if (type._item === null || !type._item.deleted) {
    let n = type._start
    let i = 0
    while (i < type._length && i < decoded.index && n !== null) {
      if (!n.deleted) {
        const size = sizeOf((n.content as Y.ContentType).type as YNode, mapping)
        if (size === null) return null
        pos += size
        i++
      }
      n = n.right
    }
    pos += 1
  }
  while (type !== top && type._item !== null) {
    const parent = type._item.parent as YNode
    if (parent._item === null || !parent._item.deleted) {
      pos += 1
      for (let n = parent._start; n !== null; n = n.right) {
        const child = (n.content as Y.ContentType).type as YNode
        if (child === type) break
        if (n.deleted) continue
        const size = sizeOf(child, mapping)
        if (size === null) return null
        pos += size
      }
    }
    type = parent
  }
  return pos
}

const typeOf = (item: Y.Item | null): YNode | null =>
  item === null ? null : ((item.content as Y.ContentType).type as YNode)

const parentOf = (n: YNode): YNode | null => (n._item?.parent as YNode | undefined) ?? null

function relativeTo(type: YNode, item: Y.Item): Y.RelativePosition {
  const tname = type._item === null ? Y.findRootTypeKey(type) : null
  const typeid = type._item === null ? null : Y.createID(type._item.id.client, type._item.id.clock)
  return new Y.RelativePosition(typeid, tname, item.id)
}

/**
 * y-tiptap's loop from the moment it reaches top-level element `start` with `pos` left (so
 * inside it): null where it would fail (a mapping that does not match), for the caller to fall
 * back to the whole walk.
 */
function walkFrom(
  fragment: Y.XmlFragment,
  start: Y.XmlElement,
  pos: number,
  mapping: Mapping,
): Y.RelativePosition | null {
  const root = fragment as unknown as YNode
  let n: YNode | null = start
  while (n !== null && n !== root) {
    if (n instanceof Y.XmlText) {
      if (n._length >= pos) return Y.createRelativePositionFromTypeIndex(n, pos, -1)
      pos -= n._length
      if (n._item !== null && n._item.next !== null) {
        n = typeOf(n._item.next)
      } else {
        do {
          n = n === null ? null : parentOf(n)
          pos--
        } while (n !== root && n !== null && n._item !== null && n._item.next === null)
        if (n !== null && n !== root) n = typeOf(n._item?.next ?? null)
      }
    } else {
      const size = (mapping.get(n) as PMNode | undefined)?.nodeSize ?? 0
      if (n._first !== null && pos < size) {
        n = typeOf(n._first)
        pos--
      } else {
        if (pos === 1 && n._length === 0 && size > 1) {
          return new Y.RelativePosition(
            n._item === null ? null : n._item.id,
            n._item === null ? Y.findRootTypeKey(n) : null,
            null,
          )
        }
        pos -= size
        if (n._item !== null && n._item.next !== null) {
          n = typeOf(n._item.next)
        } else {
          if (pos === 0) {
            const parent: YNode = n._item === null ? n : (parentOf(n) as YNode)
            return new Y.RelativePosition(
              parent._item === null ? null : parent._item.id,
              parent._item === null ? Y.findRootTypeKey(parent) : null,
              null,
            )
          }
          do {
            n = n === null ? null : parentOf(n)
            pos--
          } while (n !== null && n !== root && n._item !== null && n._item.next === null)
          if (n !== null && n !== root) n = typeOf(n._item?.next ?? null)
        }
      }
    }
    if (n === null) return null
    if (pos === 0 && !(n instanceof Y.XmlText) && n !== root && n._item !== null) {
      return relativeTo(parentOf(n) as YNode, n._item)
    }
  }
  return Y.createRelativePositionFromTypeIndex(fragment, fragment._length, -1)
}
