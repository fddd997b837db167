import Collaboration from '@tiptap/extension-collaboration'
import type { Node as PMNode } from '@tiptap/pm/model'
import { Fragment, Slice } from '@tiptap/pm/model'
import type { Plugin, Transaction } from '@tiptap/pm/state'
import { Selection } from '@tiptap/pm/state'
import type { EditorView } from '@tiptap/pm/view'
import type { ProsemirrorBinding } from '@tiptap/y-tiptap'
import { ySyncPluginKey, yUndoPluginKey } from '@tiptap/y-tiptap'
import * as Y from 'yjs'
import type { BlockDiff } from '../doc/block-sync'
import {
  currentBlocks,
  forgetChanged,
  isStructural,
  TouchedBlocks,
  writeBlocks,
} from '../doc/block-sync'
import { applyChunked } from './chunk-apply'
import { blockPos, CHUNK, chunkedBlocks, chunkify, diffChunked } from './chunks'
import { elementOf, trackReverse } from './relative-position'
import { relativeSelection, restoreRelativeSelection } from './restore-selection'

// Tiptap's Collaboration with the hot path of y-tiptap's binding replaced (rules BIND-1..6):
// a remote change rebuilds and replaces only the top-level blocks it touched, a local change
// writes only the blocks the transaction replaced (src/doc/block-sync.ts), and the editor's
// document holds the blocks under chunks (chunks.ts) that Yjs never sees. Everything else is
// y-tiptap 3.0.9 as pinned: the plugin, its state, the view update that calls
// `_prosemirrorChanged`, undo. The patch replaces five members of the plugin's
// ProsemirrorBinding (`_observeFunction`, `_prosemirrorChanged`, `_forceRerender`, `mux`,
// `beforeAllTransactions`) before its view registers them with Yjs, wraps its mapping's `set`
// (relative-position.ts keeps the reverse) and the undo plugin's state `apply` (its kept
// selection, in flat positions); the binding's tests fail if upstream renames them (BIND-1 keeps
// no identity then). Snapshots (y-tiptap's version view) are
// not supported: Meshpad shows versions in a view of its own. To drop the patch when upstream
// renders incrementally again, use Collaboration and CollaborationCaret themselves in
// create-editor.ts (without chunks), and y-tiptap's `initProseMirrorDoc` and `updateYFragment`
// in pm-bridge.ts.

interface SyncState {
  snapshot: unknown
  prevSnapshot: unknown
  binding: ProsemirrorBinding
}

/** Replaces the binding's remote and local paths with the block-level ones. */
export function installBlockSync(binding: ProsemirrorBinding): void {
  const b = binding
  trackReverse(b)
  // The document Yjs holds now, if known: what a local write diffs against. Null forces
  // upstream's whole-body diff once (after a snapshot, or a render ProseMirror had to fit).
  let synced: PMNode | null = null
  let touched = new TouchedBlocks()

  const view = (): EditorView | null => b.prosemirrorView as EditorView | null

  // Upstream's first render, into chunks: every block built (and mapped) from Yjs.
  b._forceRerender = () => {
    b.mapping.clear()
    touched = new TouchedBlocks()
    const v = view()
    if (v === null) return
    b.mux(() => {
      const { schema } = v.state
      const blocks = currentBlocks(b.type, schema, b)
      const chunks = chunkify(schema.nodes[CHUNK]!, blocks)
      const anchor = v.state.selection.anchor
      const tr = (b._tr as Transaction).replace(
        0,
        v.state.doc.content.size,
        new Slice(Fragment.fromArray(chunks), 0, 0),
      )
      // Outside a Yjs transaction there is no relative selection to restore: keep the caret's
      // offset, as upstream does (y-prosemirror #126), not the end the replace maps it to.
      if (b.beforeTransactionSelection === null) {
        tr.setSelection(Selection.near(tr.doc.resolve(Math.min(anchor, tr.doc.content.size))))
      }
      // An empty body was filled with a paragraph: Yjs does not hold what the editor shows.
      const shown = chunkedBlocks(tr.doc)
      const same = shown.count === blocks.length && blocks.every((n, i) => shown.block(i) === n)
      synced = same ? tr.doc : null
      v.dispatch(tr.setMeta(ySyncPluginKey, { isChangeOrigin: true, binding: b }))
    })
  }

  b._observeFunction = (
    events: Y.YEvent<Y.AbstractType<unknown>>[],
    transaction: Y.Transaction,
  ) => {
    const v = view()
    if (v === null) return
    const state = ySyncPluginKey.getState(v.state) as SyncState
    if (state.snapshot != null || state.prevSnapshot != null) {
      throw new Error('block-binding: y-tiptap snapshots are not supported')
    }
    if (events.length === 0) return
    b.mux(() => {
      touched.note(b.type, transaction, b)
      forgetChanged(b, transaction)
      const oldDoc = v.state.doc
      const change = touched.render(b.type, v.state.schema, b, chunkedBlocks(oldDoc))
      const tr = b._tr as Transaction
      const kept = change === null || applyChunked(tr, change)
      // Upstream's recovery for block moves scans the document (a caret at a block's start runs
      // it on every change): only a change that may move blocks needs it.
      const structural = change !== null && isStructural(change)
      restoreRelativeSelection(tr, b.beforeTransactionSelection, b, structural ? oldDoc : null)
      tr.setMeta(ySyncPluginKey, {
        isChangeOrigin: true,
        isUndoRedoOperation: transaction.origin instanceof Y.UndoManager,
      })
      // Upstream keeps a visible caret in view after every remote change, asking the DOM
      // whether it is visible: a forced layout of the document per change (~20 ms per edit at
      // 6,000 paragraphs, B4's profile). Only a change before the caret can move it.
      const before = change !== null && blockPos(oldDoc, change.index) <= v.state.selection.from
      if (before && b.beforeTransactionSelection !== null && b._isLocalCursorInView()) {
        tr.scrollIntoView()
      }
      synced = kept ? tr.doc : null
      v.dispatch(tr)
    })
  }

  // The selection as Yjs relative positions is what a remote change restores. Upstream computes
  // it before every Yjs transaction and again after every local write, each a walk over every
  // block before the caret. Inside the binding's mutex (a local write, or a render) no remote
  // change can arrive, and the value is dropped after the transaction: skip both walks there.
  const upstreamMux = b.mux
  let inMux = false
  b.mux = (f: () => void, g?: () => void) => {
    upstreamMux(() => {
      inMux = true
      try {
        f()
      } finally {
        inMux = false
      }
    }, g)
  }
  b.beforeAllTransactions = () => {
    const v = view()
    if (inMux || v === null || b.beforeTransactionSelection !== null) return
    b.beforeTransactionSelection = relativeSelection(b, v.state)
  }

  b._prosemirrorChanged = (doc: PMNode) => {
    b.doc.transact(() => {
      if (doc === synced) return
      const prev = synced
      const diff = (): BlockDiff => diffChunked(prev as PMNode, doc)
      const element = (node: PMNode): Y.XmlElement | null => elementOf(b, node)
      const blocks = chunkedBlocks(doc)
      writeBlocks(b.doc, b.type, prev && chunkedBlocks(prev), blocks, b, diff, element)
    }, ySyncPluginKey)
    synced = doc
  }
}

function withBlockSync(plugin: Plugin): Plugin {
  const upstreamView = plugin.spec.view
  if (upstreamView === undefined) throw new Error('block-binding: y-tiptap sync plugin has no view')
  // The view registers the binding's observer (`_observeFunction`), so patch before it runs.
  plugin.spec.view = (view: EditorView) => {
    const state = ySyncPluginKey.getState(view.state) as SyncState
    installBlockSync(state.binding)
    return upstreamView(view)
  }
  return plugin
}

interface UndoState {
  readonly undoManager: Y.UndoManager
  readonly prevSel: unknown
  readonly hasUndoOps: boolean
  readonly hasRedoOps: boolean
}

// y-tiptap's undo plugin keeps the selection before each transaction as Yjs relative positions
// (restored by undo), computed from document positions as if the editor had no chunks: here it
// is the binding's own `relativeSelection`, in flat positions and without a walk over every block.
function withFlatUndoSelection(plugin: Plugin): Plugin {
  const field = plugin.spec.state
  if (field === undefined) throw new Error('block-binding: y-tiptap undo plugin has no state')
  field.apply = (_tr, value: UndoState, oldState, state) => {
    const { binding } = ySyncPluginKey.getState(state) as Partial<SyncState>
    const { undoManager } = value
    const hasUndoOps = undoManager.undoStack.length > 0
    const hasRedoOps = undoManager.redoStack.length > 0
    const prevSel = binding ? relativeSelection(binding, oldState) : value.prevSel
    return { undoManager, prevSel, hasUndoOps, hasRedoOps }
  }
  return plugin
}

/** Tiptap's Collaboration extension on the block-level binding. */
export const BlockCollaboration = Collaboration.extend({
  addProseMirrorPlugins() {
    return (this.parent?.() ?? []).map((plugin) => {
      if (plugin.spec.key === ySyncPluginKey) return withBlockSync(plugin)
      if (plugin.spec.key === yUndoPluginKey) return withFlatUndoSelection(plugin)
      return plugin
    })
  },
})
