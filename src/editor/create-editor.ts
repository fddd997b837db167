import { Editor } from '@tiptap/core'
import type * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'
import { bodyOf } from '../doc/model'
import { BlockCollaboration } from './block-binding'
import { ChunkedCarets } from './carets'
import { ChunkGuard } from './chunk-guard'
import { schemaExtensions } from './extensions'
import { LayoutWindowExtension } from './layout-window'
import { LazyChunks } from './lazy-chunks'
import { EmptyDocumentPlaceholder } from './placeholder'

// The Tiptap editor bound to a document. Content comes only from the Y.Doc (rule EDIT-5): the
// editor is never given initial `content`, which would be inserted again by every peer on sync.
// Undo/redo come from the Collaboration extension (Y.UndoManager tracking only this editor's
// own origin), so undo never removes a collaborator's work (rule UNDO-1). Collaboration runs on
// the block-level binding (block-binding.ts): every edit costs in proportion to the change, not
// to the document (rules BIND-1..6), and the editor holds its blocks under chunks that Yjs never
// sees (chunks.ts): carets, placeholder and layout window speak chunks, and chunks far from the
// screen are not rendered until they come near it (lazy-chunks.ts).

export interface PeerIdentity {
  readonly name: string
  readonly color: string
}

export interface EditorOptions {
  readonly element: HTMLElement
  readonly doc: Y.Doc
  readonly awareness: Awareness
  readonly user: PeerIdentity
  readonly placeholder?: string
  readonly editable?: boolean
}

const MAX_CARET_NAME = 40
const CARET_COLOR = /^#[0-9a-f]{6}$/i

function renderCaret(user: Record<string, unknown>): HTMLElement {
  const name = typeof user['name'] === 'string' ? user['name'] : ''
  const color =
    typeof user['color'] === 'string' && CARET_COLOR.test(user['color']) ? user['color'] : '#868e96'
  const caret = document.createElement('span')
  caret.classList.add('collaboration-carets__caret')
  caret.style.borderColor = color
  const label = document.createElement('div')
  label.classList.add('collaboration-carets__label')
  label.style.backgroundColor = color
  label.textContent = name.length > MAX_CARET_NAME ? `${name.slice(0, MAX_CARET_NAME - 1)}…` : name
  caret.append(label)
  return caret
}

export function createEditor(options: EditorOptions): Editor {
  return new Editor({
    element: options.element,
    editable: options.editable ?? true,
    extensions: [
      ...schemaExtensions({ chunked: true }),
      ChunkGuard,
      BlockCollaboration.configure({ fragment: bodyOf(options.doc) }),
      ChunkedCarets.configure({
        // CollaborationCaret only reads `provider.awareness`; the editor never sees sync/.
        provider: { awareness: options.awareness },
        user: { name: options.user.name, color: options.user.color },
        // Names come from peers: shown as text only, and cut so no peer can flood the page.
        render: renderCaret,
      }),
      LayoutWindowExtension,
      LazyChunks,
      EmptyDocumentPlaceholder.configure({
        placeholder:
          options.placeholder ?? 'Start writing… a heading on the first line names the document.',
      }),
    ],
    editorProps: {
      attributes: {
        'data-testid': 'editor',
        class: 'editor-content',
        spellcheck: 'true',
        role: 'textbox',
        'aria-multiline': 'true',
        'aria-label': 'Document',
      },
    },
  })
}
