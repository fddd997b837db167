import type { Node as PMNode, Schema } from '@tiptap/pm/model'
import { Fragment, Slice } from '@tiptap/pm/model'
import { Transform } from '@tiptap/pm/transform'
import { yXmlFragmentToProseMirrorRootNode, ySyncPluginKey } from '@tiptap/y-tiptap'
import type * as Y from 'yjs'
import {
  applyBlocks,
  currentBlocks,
  flatBlocks,
  forgetChanged,
  TouchedBlocks,
  writeBlocks,
} from './block-sync'
import type { BindingMeta } from './y-render'
import { bodyOf } from './model'

// Reads and writes a document's body as a ProseMirror node the way the editor binding
// (y-tiptap's ySyncPlugin / ProsemirrorBinding) does, without a view, so that Node code (tests,
// tools, importers) edits a document exactly as a browser peer would.
//
// Contract, mirroring the binding:
// - Each Y.Doc has one bridge state (like one binding per editor): the ProseMirror document last
//   rendered or written, and the binding's mapping metadata (`mapping` Y type -> PM node,
//   `isOMark`), which `updateYFragment` uses to tell unchanged children from edited ones.
// - A change from anyone else (a remote update, a Y.UndoManager, another writer) makes the
//   rendered document stale. The binding re-renders at once, in its observer; the bridge does it
//   lazily, on the next `readBody`. Re-rendering is what the editor's block binding does
//   (block-sync.ts, rules BIND-1..4): forget the mapping of what changed, rebuild those nodes
//   from Yjs (rebuilding deletes Yjs nodes it cannot build and merges adjacent Y.Texts this
//   client created: reading may change the Y.Doc), replace the range of top-level blocks that
//   differ (which fits the content to the top node, e.g. adds a paragraph to an empty body),
//   then write that document back if fitting changed it.
// - Writing touches only the top-level blocks the new document does not share with the last
//   one read or written, as the block binding does for the editor.
// - `writeBody` must be given a document derived from the current one: writing over a change
//   the caller has not read would silently delete it, so it throws instead.

/** The transaction origin of every local write, the same one the editor binding uses. */
export const BODY_ORIGIN: unknown = ySyncPluginKey

interface BridgeState {
  readonly schema: Schema
  readonly meta: BindingMeta
  rendered: PMNode | null
  stale: boolean
  // The binding's mutex: changes the bridge makes itself never mark it stale.
  busy: boolean
  /** The blocks changed since the last render, so that it need not walk them all. */
  touched: TouchedBlocks
}

const states = new WeakMap<Y.Doc, BridgeState>()

function stateOf(doc: Y.Doc, schema: Schema): BridgeState {
  const existing = states.get(doc)
  if (existing !== undefined) {
    if (existing.schema !== schema) {
      throw new Error('pm-bridge: one Y.Doc was used with two schemas; pass the same Schema object')
    }
    return existing
  }
  const state: BridgeState = {
    schema,
    meta: { mapping: new Map(), isOMark: new Map() },
    rendered: null,
    stale: true,
    busy: false,
    touched: new TouchedBlocks(),
  }
  bodyOf(doc).observeDeep((_events, transaction) => {
    if (state.busy) return
    state.stale = true
    state.touched.note(bodyOf(doc), transaction, state.meta)
    forgetChanged(state.meta, transaction)
  })
  states.set(doc, state)
  return state
}

function exclusive<T>(state: BridgeState, run: () => T): T {
  state.busy = true
  try {
    return run()
  } finally {
    state.busy = false
  }
}

// `prev` is what the body holds, or null if that is not known (then the whole body is diffed).
function write(doc: Y.Doc, state: BridgeState, prev: PMNode | null, next: PMNode): void {
  doc.transact(() => {
    writeBlocks(doc, bodyOf(doc), prev && flatBlocks(prev), flatBlocks(next), state.meta)
  }, BODY_ORIGIN)
  state.rendered = next
  state.stale = false
}

/** The body as the editor shows it, rendered from Yjs if anything changed since last time. */
export function readBody(doc: Y.Doc, schema: Schema): PMNode {
  const state = stateOf(doc, schema)
  if (!state.stale && state.rendered !== null) return state.rendered
  return exclusive(state, () => {
    const rendered = state.rendered === null ? renderAll(doc, state) : renderChanged(doc, state)
    return rendered
  })
}

// The first render builds every block, as the binding's first render does.
function renderAll(doc: Y.Doc, state: BridgeState): PMNode {
  state.meta.mapping.clear()
  state.touched = new TouchedBlocks()
  const blocks = currentBlocks(bodyOf(doc), state.schema, state.meta)
  const base = state.schema.topNodeType.createAndFill()
  if (base === null) throw new Error('pm-bridge: the schema cannot create an empty document')
  const rendered = new Transform(base).replace(
    0,
    base.content.size,
    new Slice(Fragment.fromArray(blocks), 0, 0),
  ).doc
  // When rendering kept every node it built (nothing was fitted), writing it back provably
  // changes nothing: skip it.
  const kept =
    rendered.childCount === blocks.length && blocks.every((b, i) => rendered.child(i) === b)
  if (kept) {
    state.rendered = rendered
    state.stale = false
  } else {
    write(doc, state, null, rendered)
  }
  return rendered
}

function renderChanged(doc: Y.Doc, state: BridgeState): PMNode {
  const old = state.rendered as PMNode
  const change = state.touched.render(bodyOf(doc), state.schema, state.meta, flatBlocks(old))
  state.stale = false
  if (change === null) return old
  const tr = new Transform(old)
  if (applyBlocks(tr, change)) {
    state.rendered = tr.doc
  } else {
    write(doc, state, null, tr.doc)
  }
  return tr.doc
}

/** Writes `next` (derived from the last `readBody`) into the body as one local transaction. */
export function writeBody(doc: Y.Doc, schema: Schema, next: PMNode): void {
  const state = stateOf(doc, schema)
  if (state.stale) {
    throw new Error('pm-bridge: the body changed since it was read; readBody again, then edit')
  }
  exclusive(state, () => write(doc, state, state.rendered, next))
}

/**
 * The body as a ProseMirror node, read only: no bridge state, nothing written back (unlike
 * `readBody`). For showing a document that no editor is bound to, such as a version.
 */
export function renderBody(doc: Y.Doc, schema: Schema): PMNode {
  return yXmlFragmentToProseMirrorRootNode(bodyOf(doc), schema)
}
