import type { Node as PMNode, Schema } from '@tiptap/pm/model'
import { Slice } from '@tiptap/pm/model'
import { Transform } from '@tiptap/pm/transform'
import {
  initProseMirrorDoc,
  updateYFragment,
  yXmlFragmentToProseMirrorRootNode,
  ySyncPluginKey,
} from '@tiptap/y-tiptap'
import type * as Y from 'yjs'
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
//   lazily, on the next `readBody`. Re-rendering is what the binding's `_typeChanged` does: clear
//   the mapping, rebuild every node from Yjs (y-tiptap deletes Yjs nodes it cannot build and
//   merges adjacent Y.Texts this client created: reading may change the Y.Doc), replace the
//   whole ProseMirror document (which fits the content to the top node, e.g. adds a paragraph
//   to an empty body), then write that document back, as the view's update does.
// - `writeBody` must be given a document derived from the current one: writing over a change
//   the caller has not read would silently delete it, so it throws instead.

/** The transaction origin of every local write, the same one the editor binding uses. */
export const BODY_ORIGIN: unknown = ySyncPluginKey

// y-tiptap does not export its BindingMetadata type; this is its shape.
type BindingMetadata = ReturnType<typeof initProseMirrorDoc>['meta']

interface BridgeState {
  readonly schema: Schema
  readonly meta: BindingMetadata
  rendered: PMNode | null
  stale: boolean
  // The binding's mutex: changes the bridge makes itself never mark it stale.
  busy: boolean
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
  }
  bodyOf(doc).observeDeep(() => {
    if (!state.busy) state.stale = true
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

function write(doc: Y.Doc, state: BridgeState, next: PMNode): void {
  doc.transact(() => {
    updateYFragment(doc, bodyOf(doc), next, state.meta)
  }, BODY_ORIGIN)
  state.rendered = next
  state.stale = false
}

function sameChildren(a: PMNode, b: PMNode): boolean {
  if (a.childCount !== b.childCount) return false
  for (let i = 0; i < a.childCount; i++) if (a.child(i) !== b.child(i)) return false
  return true
}

/** The body as the editor shows it, rendered from Yjs if anything changed since last time. */
export function readBody(doc: Y.Doc, schema: Schema): PMNode {
  const state = stateOf(doc, schema)
  if (!state.stale && state.rendered !== null) return state.rendered
  return exclusive(state, () => {
    const built = initProseMirrorDoc(bodyOf(doc), schema)
    state.meta.mapping.clear()
    for (const [type, node] of built.meta.mapping) state.meta.mapping.set(type, node)
    const base = state.rendered ?? schema.topNodeType.createAndFill()
    if (base === null) throw new Error('pm-bridge: the schema cannot create an empty document')
    const rendered = new Transform(base).replace(
      0,
      base.content.size,
      new Slice(built.doc.content, 0, 0),
    ).doc
    // The binding writes the rendered document back at once. When rendering kept every node
    // it built (nothing was fitted), that write provably changes nothing: skip it.
    if (sameChildren(rendered, built.doc)) {
      state.rendered = rendered
      state.stale = false
    } else {
      write(doc, state, rendered)
    }
    return rendered
  })
}

/** Writes `next` (derived from the last `readBody`) into the body as one local transaction. */
export function writeBody(doc: Y.Doc, schema: Schema, next: PMNode): void {
  const state = stateOf(doc, schema)
  if (state.stale) {
    throw new Error('pm-bridge: the body changed since it was read; readBody again, then edit')
  }
  exclusive(state, () => write(doc, state, next))
}

/**
 * The body as a ProseMirror node, read only: no bridge state, nothing written back (unlike
 * `readBody`). For showing a document that no editor is bound to, such as a version.
 */
export function renderBody(doc: Y.Doc, schema: Schema): PMNode {
  return yXmlFragmentToProseMirrorRootNode(bodyOf(doc), schema)
}
