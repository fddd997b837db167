import { Editor } from '@tiptap/core'
import { Placeholder } from '@tiptap/extensions'
import { schemaExtensions } from '../../src/editor/extensions'
import { LayoutWindowExtension } from '../../src/editor/layout-window'

// The floor of the editor benchmarks: plain Tiptap with the app's schema, layout window and
// placeholder, and no Yjs at all. Bundled by bench/lib/page-floor.ts into a page of the app
// (so the app's stylesheet applies) as `globalThis.BenchFloor`.

export function createFloorEditor(element: HTMLElement, content: object): Editor {
  return new Editor({
    element,
    content,
    extensions: [
      ...schemaExtensions(),
      LayoutWindowExtension,
      Placeholder.configure({ placeholder: 'floor' }),
    ],
    editorProps: { attributes: { class: 'editor-content', 'data-testid': 'floor-editor' } },
  })
}
