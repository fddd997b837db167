import CollaborationCaret from '@tiptap/extension-collaboration-caret'
import type { EditorState, Transaction } from '@tiptap/pm/state'
import { Plugin } from '@tiptap/pm/state'
import type { DecorationAttrs, EditorView } from '@tiptap/pm/view'
import { Decoration, DecorationSet } from '@tiptap/pm/view'
import type { ProsemirrorBinding } from '@tiptap/y-tiptap'
import {
  defaultAwarenessStateFilter,
  isStructuralTransaction,
  relativePositionToAbsolutePosition,
  setMeta,
  yCursorPluginKey,
  ySyncPluginKey,
} from '@tiptap/y-tiptap'
import type { Awareness } from 'y-protocols/awareness'
import * as Y from 'yjs'
import { chunkGuardKey } from './chunk-guard'
import { absolutePosition, relativePosition } from './relative-position'

// Collaborators' carets and selections: Tiptap's CollaborationCaret with y-tiptap 3.0.9's
// `yCursorPlugin` replaced by the same plugin speaking positions of the flat document (the one
// Yjs holds), since the editor's document groups its blocks under chunks (chunks.ts, BIND-6).
// Behaviour as upstream's: carets are drawn again from Yjs after a remote change or an awareness
// update, mapped through local edits, hidden after a local block move until the peer publishes
// again; the local caret is published while the editor has the focus.
//
// One difference (issue 12): upstream publishes the local caret again after every remote change
// even when it has not moved. Here it is published when its relative positions change. A remote
// change leaves a relative position where it was (that is what they are for), every peer draws
// the carets again from Yjs after each change it receives, and each publication is two
// signatures and a message to every peer (PRESENCE-1): forced, every peer with the focus did
// that for every character anyone typed (with 8 peers, 14 signatures and 49 checks of one).

interface SyncState {
  readonly doc: Y.Doc
  readonly type: Y.XmlFragment
  readonly binding: ProsemirrorBinding | null
  readonly isChangeOrigin: boolean
  readonly snapshot: unknown
  readonly prevSnapshot: unknown
}

type User = Record<string, unknown>

interface Builders {
  readonly caret: (user: User, clientId: number) => HTMLElement
  readonly selection: (user: User, clientId: number) => DecorationAttrs
}

const syncState = (state: EditorState): SyncState | undefined =>
  ySyncPluginKey.getState(state) as SyncState | undefined

function drawCarets(state: EditorState, awareness: Awareness, build: Builders): DecorationSet {
  const y = syncState(state)
  if (!y?.binding || y.snapshot != null || y.prevSnapshot != null || y.binding.mapping.size === 0) {
    return DecorationSet.empty
  }
  const { binding } = y
  const decorations: Decoration[] = []
  const resolve = (json: unknown): number | null =>
    absolutePosition(binding, state.doc, Y.createRelativePositionFromJSON(json))
  awareness.getStates().forEach((aw, clientId) => {
    if (!defaultAwarenessStateFilter(y.doc.clientID, clientId, aw)) return
    const cursor = (aw as { cursor?: { anchor: unknown; head: unknown } | null } | null)?.cursor
    if (cursor == null) return
    const user = { color: '#ffa500', name: `User: ${clientId}`, ...(aw['user'] as User) }
    let anchor = resolve(cursor.anchor)
    let head = resolve(cursor.head)
    if (anchor === null || head === null) return
    const max = Math.max(state.doc.content.size - 1, 0)
    anchor = Math.min(anchor, max)
    head = Math.min(head, max)
    decorations.push(
      Decoration.widget(head, () => build.caret(user, clientId), { key: `${clientId}`, side: 10 }),
    )
    decorations.push(
      Decoration.inline(
        Math.min(anchor, head),
        Math.max(anchor, head),
        build.selection(user, clientId),
        {
          inclusiveEnd: true,
          inclusiveStart: false,
        },
      ),
    )
  })
  return DecorationSet.create(state.doc, decorations)
}

function publishCaret(view: EditorView, awareness: Awareness): void {
  const y = syncState(view.state)
  if (!y?.binding) return
  const { binding } = y
  const current = (awareness.getLocalState() ?? {}) as {
    cursor?: { anchor: unknown; head: unknown } | null
  }
  if (view.hasFocus()) {
    const { doc, selection } = view.state
    const anchor = relativePosition(binding, doc, selection.anchor)
    const head = relativePosition(binding, doc, selection.head)
    const same =
      current.cursor != null &&
      Y.compareRelativePositions(Y.createRelativePositionFromJSON(current.cursor.anchor), anchor) &&
      Y.compareRelativePositions(Y.createRelativePositionFromJSON(current.cursor.head), head)
    if (!same) awareness.setLocalStateField('cursor', { anchor, head })
  } else if (
    current.cursor != null &&
    relativePositionToAbsolutePosition(
      y.doc,
      y.type,
      Y.createRelativePositionFromJSON(current.cursor.anchor),
      binding.mapping,
    ) !== null
  ) {
    // The caret published is this editor's: withdraw it.
    awareness.setLocalStateField('cursor', null)
  }
}

export function caretPlugin(awareness: Awareness, build: Builders): Plugin {
  return new Plugin({
    key: yCursorPluginKey,
    state: {
      init: (_config, state) => drawCarets(state, awareness, build),
      apply(tr: Transaction, previous: DecorationSet, oldState, newState) {
        const remote = syncState(newState)?.isChangeOrigin === true
        const meta = tr.getMeta(yCursorPluginKey) as { awarenessUpdated?: boolean } | undefined
        // A chunk move changes no content: positions are drawn again, as after a remote change.
        const chunksMoved = tr.getMeta(chunkGuardKey) === true
        if (tr.docChanged && !remote && isStructuralTransaction(tr, oldState.doc)) {
          // The ProseMirror document leads the Yjs mapping during local moves.
          return DecorationSet.empty
        }
        if (remote || chunksMoved || meta?.awarenessUpdated) {
          return drawCarets(newState, awareness, build)
        }
        return tr.docChanged ? previous.map(tr.mapping, tr.doc) : previous
      },
    },
    props: {
      decorations: (state) => yCursorPluginKey.getState(state) as DecorationSet,
    },
    view(view) {
      const onAwareness = (): void => {
        if ((view as unknown as { docView: unknown }).docView) {
          setMeta(view, yCursorPluginKey, { awarenessUpdated: true })
        }
      }
      const onFocus = (): void => publishCaret(view, awareness)
      awareness.on('change', onAwareness)
      view.dom.addEventListener('focusin', onFocus)
      view.dom.addEventListener('focusout', onFocus)
      return {
        update(updated) {
          publishCaret(updated, awareness)
        },
        destroy() {
          view.dom.removeEventListener('focusin', onFocus)
          view.dom.removeEventListener('focusout', onFocus)
          awareness.off('change', onAwareness)
          awareness.setLocalStateField('cursor', null)
        },
      }
    },
  })
}

/** CollaborationCaret (its user, commands and storage) drawing carets with `caretPlugin`. */
export const ChunkedCarets = CollaborationCaret.extend({
  addProseMirrorPlugins() {
    const awareness = (this.options.provider as { awareness: Awareness }).awareness
    const build: Builders = {
      caret: (user) => this.options.render(user as never),
      selection: (user) => this.options.selectionRender(user as never),
    }
    return (this.parent?.() ?? []).map((plugin) =>
      plugin.spec.key === yCursorPluginKey ? caretPlugin(awareness, build) : plugin,
    )
  },
})
