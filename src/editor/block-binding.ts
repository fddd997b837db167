import Collaboration from '@tiptap/extension-collaboration'
import { Fragment, Slice, type Node as PMNode } from '@tiptap/pm/model'
import { TextSelection, type Plugin, type Transaction } from '@tiptap/pm/state'
import type { EditorView } from '@tiptap/pm/view'
import type { ProsemirrorBinding } from '@tiptap/y-tiptap'
import { getRelativeSelection, ySyncPluginKey } from '@tiptap/y-tiptap'
import * as Y from 'yjs'
import {
  applyBlocks,
  blocksFrom,
  currentBlocks,
  forgetChanged,
  isStructural,
  TouchedBlocks,
  writeBlocks,
} from '../doc/block-sync'
import { restoreRelativeSelection } from './restore-selection'

// Tiptap's Collaboration with the hot path of y-tiptap's binding replaced (rules BIND-1..6):
// a remote change rebuilds and replaces only the top-level blocks it touched, a local change
// writes only the blocks the transaction replaced (src/doc/block-sync.ts), and a long body is
// shown first screen first, the rest in slices (the editor's DOM, not Yjs, is what costs there). Everything else is
// y-tiptap 3.0.9 as pinned: the plugin, its state, the view update that calls
// `_prosemirrorChanged`, undo, carets, snapshots. The patch replaces five members of the plugin's
// ProsemirrorBinding (`_observeFunction`, `_prosemirrorChanged`, `_forceRerender`, `mux`,
// `beforeAllTransactions`) before its view registers them with Yjs; the binding's tests fail if
// upstream renames them (BIND-1 keeps no identity then). To drop the patch when upstream renders
// incrementally again, use Collaboration itself in create-editor.ts, and y-tiptap's
// `initProseMirrorDoc` and `updateYFragment` in pm-bridge.ts.

/** A body of this many top-level blocks or more is shown first screen first (BIND-6). */
export const PROGRESSIVE_FROM_BLOCKS = 2_000
/** Blocks shown at once: more than a screen of one-line paragraphs. */
export const FIRST_SCREEN_BLOCKS = 200
/** Blocks added per task after that, so the page stays responsive in between. */
export const SLICE_BLOCKS = 2_000

interface SyncState {
  snapshot: unknown
  prevSnapshot: unknown
  binding: ProsemirrorBinding
}

/** Replaces the binding's remote and local paths with the block-level ones. */
export function installBlockSync(binding: ProsemirrorBinding): void {
  const b = binding
  const upstreamTypeChanged = b._typeChanged.bind(b)
  const upstreamForceRerender = b._forceRerender.bind(b)
  // The document Yjs holds now, if known: what a local write diffs against. Null forces
  // upstream's whole-body diff once (after a snapshot, or a render ProseMirror had to fit).
  let synced: PMNode | null = null
  const touched = new TouchedBlocks()

  const view = (): EditorView | null => b.prosemirrorView as EditorView | null

  /** Top-level blocks at the end of the body not shown yet (BIND-6), and the task adding them. */
  let tail = 0
  let slicing: ReturnType<typeof setTimeout> | null = null
  const stopSlicing = (): void => {
    tail = 0
    if (slicing !== null) clearTimeout(slicing)
    slicing = null
  }

  /** Everything at once, as upstream renders. */
  const renderWhole = (): void => {
    stopSlicing()
    touched.forget()
    upstreamForceRerender()
    const v = view()
    if (v === null) return
    // Upstream's first render mapped every block; if the view shows exactly those, Yjs holds it.
    const blocks = currentBlocks(b.type, v.state.schema, b)
    const doc = v.state.doc
    const same = doc.childCount === blocks.length && blocks.every((n, i) => doc.child(i) === n)
    synced = same ? doc : null
  }

  /**
   * Inside the mutex: replaces the document with the body's first blocks and leaves the rest to
   * `slice` (BIND-6). False, with nothing dispatched, when the body is short or not renderable.
   */
  const showFirstScreen = (v: EditorView, keepSelection: (tr: Transaction) => void): boolean => {
    const total = b.type.length
    if (total < PROGRESSIVE_FROM_BLOCKS) return false
    b.mapping.clear()
    touched.forget()
    const first = blocksFrom(b.type, 0, FIRST_SCREEN_BLOCKS, v.state.schema, b)
    if (first === null || first.length === 0) return false
    const tr = b._tr as Transaction
    tr.replace(0, tr.doc.content.size, new Slice(Fragment.fromArray(first), 0, 0))
    if (tr.doc.childCount !== first.length || first.some((n, i) => tr.doc.child(i) !== n)) {
      return false
    }
    keepSelection(tr)
    tr.setMeta(ySyncPluginKey, { isChangeOrigin: true, binding: b })
    stopSlicing()
    tail = total - first.length
    synced = tr.doc
    v.dispatch(tr)
    slicing = setTimeout(slice, 0)
    return true
  }

  /** Shows the next blocks of the body's end, then comes back for more. */
  const slice = (): void => {
    slicing = null
    const v = view()
    if (tail === 0 || v === null || v.isDestroyed) return
    const doc = v.state.doc
    let inStep = b.type.length === doc.childCount + tail && synced === doc
    if (inStep) {
      b.mux(() => {
        const nodes = blocksFrom(b.type, doc.childCount, SLICE_BLOCKS, v.state.schema, b)
        if (nodes === null) {
          inStep = false
          return
        }
        const tr = b._tr as Transaction
        tr.insert(doc.content.size, Fragment.fromArray(nodes))
        tr.setMeta(ySyncPluginKey, { isChangeOrigin: true })
        tail -= nodes.length
        synced = tr.doc
        v.dispatch(tr)
      })
    }
    // Out of step (a change the binding did not see): show the whole body now, from Yjs.
    if (!inStep) renderWhole()
    else if (tail > 0) slicing = setTimeout(slice, 0)
  }

  b._forceRerender = () => {
    const v = view()
    let shown = false
    if (v !== null) {
      // Upstream's selection handling for a render outside any transaction (its #126).
      const sel = b.beforeTransactionSelection !== null ? null : v.state.selection
      b.mux(() => {
        shown = showFirstScreen(v, (tr) => {
          if (sel === null) return
          const clamp = (pos: number) => Math.min(Math.max(pos, 0), tr.doc.content.size)
          tr.setSelection(TextSelection.create(tr.doc, clamp(sel.anchor), clamp(sel.head)))
        })
      })
    }
    if (!shown) renderWhole()
  }

  b._observeFunction = (
    events: Y.YEvent<Y.AbstractType<unknown>>[],
    transaction: Y.Transaction,
  ) => {
    const v = view()
    if (v === null) return
    const state = ySyncPluginKey.getState(v.state) as SyncState
    if (events.length === 0 || state.snapshot != null || state.prevSnapshot != null) {
      synced = null
      upstreamTypeChanged(events, transaction)
      return
    }
    b.mux(() => {
      touched.note(b.type, transaction, b)
      forgetChanged(b, transaction)
      const oldDoc = v.state.doc
      // A long body arriving into an empty editor (a late joiner): the first screen first.
      const empty = tail === 0 && oldDoc.childCount <= 1 && oldDoc.content.size <= 2
      const keep = (tr: Transaction): void =>
        restoreRelativeSelection(tr, b.beforeTransactionSelection, b, null)
      if (empty && showFirstScreen(v, keep)) return
      // Anything else renders every block not shown yet too (the walk finds them).
      stopSlicing()
      const change = touched.render(b.type, v.state.schema, b, oldDoc)
      const tr = b._tr as Transaction
      const kept = change === null || applyBlocks(tr, change)
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
      const before = change !== null && change.from <= v.state.selection.from
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
    b.beforeTransactionSelection = getRelativeSelection(b, v.state)
  }

  b._prosemirrorChanged = (doc: PMNode) => {
    b.doc.transact(() => {
      if (doc !== synced) writeBlocks(b.doc, b.type, synced, doc, b, tail)
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

/** Tiptap's Collaboration extension on the block-level binding. */
export const BlockCollaboration = Collaboration.extend({
  addProseMirrorPlugins() {
    return (this.parent?.() ?? []).map((plugin) =>
      plugin.spec.key === ySyncPluginKey ? withBlockSync(plugin) : plugin,
    )
  },
})
