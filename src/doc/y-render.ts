import type { Mark, Node as PMNode, Schema } from '@tiptap/pm/model'
import type { updateYFragment } from '@tiptap/y-tiptap'
import { ySyncPluginKey } from '@tiptap/y-tiptap'
import * as Y from 'yjs'
import { EDITOR_ONLY_NODES } from './model'

// Builds ProseMirror nodes from Yjs elements exactly as y-tiptap 3.0.9 does (its unexported
// `createNodeIfNotExists` / `createNodeFromYElement` / `createTextNodesFromYText`), so that the
// block-level binding (block-sync.ts) renders what the stock binding would. Kept line for line
// with upstream on purpose, including its two writes: it merges a Y.Text this client created into
// the Y.Text before it (y-prosemirror #160, duplicated characters), and it deletes a Yjs node
// the schema rejects (the result of a concurrent edit). Drop this file with block-sync.ts when
// upstream renders incrementally again.

/**
 * y-tiptap's binding metadata (not exported by it): `mapping` takes a Y element to its node and
 * a Y.XmlText to its text nodes; `isOMark` caches which marks may overlap.
 */
export type BindingMeta = Parameters<typeof updateYFragment>[3]

// Overlapping marks are stored as `name--hash`; the hash is dropped to get the mark's name.
const HASHED_MARK = /(.*)(--[a-zA-Z0-9+/=]{8})$/
const markName = (attr: string): string => HASHED_MARK.exec(attr)?.[1] ?? attr

function attributesToMarks(attrs: Record<string, unknown> | undefined, schema: Schema): Mark[] {
  const marks: Mark[] = []
  for (const name in attrs) {
    marks.push(schema.mark(markName(name), attrs[name] as Record<string, unknown> | null))
  }
  return marks
}

function textNodes(text: Y.XmlText, schema: Schema): PMNode[] | null {
  const deltas = text.toDelta() as { insert: unknown; attributes?: Record<string, unknown> }[]
  const nodes: PMNode[] = []
  try {
    for (const delta of deltas) {
      nodes.push(schema.text(delta.insert as string, attributesToMarks(delta.attributes, schema)))
    }
  } catch {
    // Not renderable, probably the result of a concurrent action: upstream deletes it.
    const item = text._item
    text.doc?.transact((tr) => item?.delete(tr), ySyncPluginKey)
    return null
  }
  return nodes
}

/** The node of `el`: the mapped one if `el` is unchanged since it was mapped, else built. */
export function nodeOf(el: Y.XmlElement, schema: Schema, meta: BindingMeta): PMNode | null {
  const mapped = meta.mapping.get(el)
  if (mapped !== undefined) return mapped as PMNode
  return buildElement(el, schema, meta)
}

function buildElement(el: Y.XmlElement, schema: Schema, meta: BindingMeta): PMNode | null {
  const children: PMNode[] = []
  for (const type of el.toArray()) {
    if (type instanceof Y.XmlElement) {
      const node = nodeOf(type, schema, meta)
      if (node !== null) children.push(node)
    } else if (type instanceof Y.XmlText) {
      mergeNextOwnText(type)
      const nodes = textNodes(type, schema)
      if (nodes !== null) children.push(...nodes)
    }
  }
  try {
    // The editor's own structure is in its schema, not in the document's (THREAT-12).
    if (EDITOR_ONLY_NODES.has(el.nodeName)) throw new Error(`not content: ${el.nodeName}`)
    const node = schema.node(el.nodeName, el.getAttributes(), children)
    meta.mapping.set(el, node)
    return node
  } catch {
    // Upstream: an element the schema rejects is deleted (a concurrent edit made it invalid).
    const item = el._item
    el.doc?.transact((tr) => item?.delete(tr), ySyncPluginKey)
    meta.mapping.delete(el)
    return null
  }
}

// y-prosemirror #160: two Y.Texts side by side duplicate characters; the one this client made
// is moved into the one before it.
function mergeNextOwnText(text: Y.XmlText): void {
  const next = (text._item?.right?.content as { type?: unknown } | undefined)?.type
  if (!(next instanceof Y.Text) || next._item === null || next._item.deleted) return
  if (next.doc === null || next._item.id.client !== next.doc.clientID) return
  text.applyDelta([{ retain: text.length }, ...(next.toDelta() as object[])])
  const item = next._item
  next.doc.transact((tr) => item.delete(tr))
}
