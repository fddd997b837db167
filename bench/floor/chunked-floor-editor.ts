import { Editor, Extension, Node } from '@tiptap/core'
import { Placeholder } from '@tiptap/extensions'
import { Plugin, PluginKey } from '@tiptap/pm/state'
import { schemaExtensions } from '../../src/editor/extensions'
import { LayoutWindowView } from '../../src/editor/layout-window'

// The chunked floor (bench/chunked-floor.ts, issue 12): plain Tiptap without Yjs, as
// floor-editor.ts, but the document's blocks are grouped under top-level containers, so that no
// parent, in ProseMirror or in the DOM, has more than a few hundred children:
//
//   doc: chunk+        chunk: block+, rendered <div class="chunk">
//
// The app's schema is unchanged otherwise (StarterKit's Document is swapped for this one).
// Bundled by bench/lib/page-floor.ts into a page of the app as `globalThis.BenchFloor`, with the
// same `createFloorEditor(element, content, options)` as the flat floor; `content` is already
// chunked (bench/chunked-floor.ts does it in Node).
//
// The app's stylesheet skips off-screen top-level blocks (`.editor-content > *`,
// `content-visibility: auto`), which here are chunks; the blocks inside a chunk are always laid
// out with their chunk. Two CSS variants for the chunks:
// - 'auto': off-screen chunks are skipped (`content-visibility: auto`), and a layout window of
//   chunks stands in for the app's LayoutWindowExtension (whose window of 40 top-level blocks on
//   each side of the caret would, on chunks, keep 81 x 64 blocks laid out): the chunk holding the
//   caret, one chunk on either side, the first and the last chunk are always laid out, for the
//   same reason as in src/editor/layout-window.ts (a key typed into a skipped block goes wrong).
//   It is the app's own `LayoutWindowView` with a radius of 1 chunk.
// - 'visible': every chunk is laid out (`content-visibility: visible`), each a containment
//   boundary (`contain: layout style`); no window is needed.

export type ChunkVisibility = 'auto' | 'visible'

export interface ChunkOptions {
  readonly visibility: ChunkVisibility
  /** Blocks per chunk, for the chunks' estimated height before their first layout. */
  readonly chunkSize: number
}

/** Chunks laid out on each side of the caret's (64 one-line paragraphs are more than a page). */
export const CHUNK_RADIUS = 1

const ROOT_SELECTOR = '.editor-content'

const ChunkedDocument = Node.create({ name: 'doc', topNode: true, content: 'chunk+' })

export const Chunk = Node.create({
  name: 'chunk',
  content: 'block+',
  parseHTML: () => [{ tag: 'div.chunk' }],
  renderHTML: () => ['div', { class: 'chunk' }, 0],
})

/** The app's schema with `doc: chunk+` in place of `doc: block+`. */
export function chunkedSchemaExtensions(): ReturnType<typeof schemaExtensions> {
  return [
    ...schemaExtensions().map((extension) =>
      extension.name === 'starterKit' ? extension.configure({ document: false }) : extension,
    ),
    ChunkedDocument,
    Chunk,
  ]
}

/** `chunkSize * 48px`: a block of automerge-paper is about one and a half lines plus a margin. */
function chunkStyle({ visibility, chunkSize }: ChunkOptions): string {
  const rule =
    visibility === 'auto'
      ? `content-visibility: auto; contain: layout style; contain-intrinsic-size: auto ${chunkSize * 48}px;`
      : 'content-visibility: visible; contain: layout style;'
  return `${ROOT_SELECTOR} > .chunk { ${rule} }`
}

const ChunkWindowExtension = Extension.create({
  name: 'chunkWindow',
  addProseMirrorPlugins() {
    return [
      new Plugin({
        key: new PluginKey('chunkWindow'),
        view: (view) => new LayoutWindowView(view, CHUNK_RADIUS),
      }),
    ]
  },
})

export function createFloorEditor(
  element: HTMLElement,
  content: object,
  options: ChunkOptions = { visibility: 'auto', chunkSize: 64 },
): Editor {
  // Before the editor's own window stylesheet: on equal specificity (`:first-child`,
  // `:last-child`) the window's rule, later in the document, wins.
  const style = document.createElement('style')
  style.dataset['bench'] = 'chunks'
  style.textContent = chunkStyle(options)
  document.head.append(style)
  const editor = new Editor({
    element,
    content,
    extensions: [
      ...chunkedSchemaExtensions(),
      ...(options.visibility === 'auto' ? [ChunkWindowExtension] : []),
      Placeholder.configure({ placeholder: 'floor' }),
    ],
    editorProps: { attributes: { class: 'editor-content', 'data-testid': 'floor-editor' } },
  })
  editor.on('destroy', () => style.remove())
  return editor
}
