import { Extension } from '@tiptap/core'
import { Plugin, PluginKey } from '@tiptap/pm/state'
import { Decoration, DecorationSet } from '@tiptap/pm/view'
import { isEmptyDocument } from './chunks'

// The empty document's invitation to write. Tiptap's Placeholder decorates an empty top-level
// textblock, and the editor's top-level nodes are chunks (chunks.ts); what Meshpad shows is
// only the empty document's placeholder (styles.css), so that is all this draws: O(1) per
// update, where Placeholder walks the top level.

export interface EmptyDocumentOptions {
  readonly placeholder: string
}

export const EmptyDocumentPlaceholder = Extension.create<EmptyDocumentOptions>({
  name: 'emptyDocumentPlaceholder',
  addOptions: () => ({ placeholder: '' }),
  addProseMirrorPlugins() {
    const { editor } = this
    const placeholder = this.options.placeholder
    return [
      new Plugin({
        key: new PluginKey('emptyDocumentPlaceholder'),
        props: {
          decorations: ({ doc }) => {
            const block = doc.firstChild?.firstChild
            if (!block || !isEmptyDocument(doc) || !editor.isEditable) return null
            return DecorationSet.create(doc, [
              Decoration.node(1, 1 + block.nodeSize, {
                class: 'is-empty is-editor-empty',
                'data-placeholder': placeholder,
              }),
            ])
          },
        },
      }),
    ]
  },
})
