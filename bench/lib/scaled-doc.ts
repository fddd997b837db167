import * as Y from 'yjs'
import { bodyOf, createDoc } from '../../src/doc/model'

// A book-length document for the size curves (bench/scale.ts): the automerge-paper text's
// paragraphs repeated `factor` times. Written straight into the body as the binding stores
// paragraphs (one Y.XmlElement('paragraph') holding one Y.XmlText each), in one transaction: the
// curves measure what the size of the document costs, not its history (B2..B5 replay that).

export interface ScaledDoc {
  readonly factor: number
  /** Yjs V1 state of the document. */
  readonly state: Uint8Array
  /** Paragraphs joined by '\n', as `editorText` reads the editor. */
  readonly text: string
  readonly paragraphs: number
  /** ProseMirror JSON of the same document, for the plain-Tiptap floor. */
  readonly json: object
  /** ProseMirror content size. */
  readonly size: number
}

export function scaledDoc(base: string, factor: number): ScaledDoc {
  const once = base.split('\n')
  const lines: string[] = []
  for (let i = 0; i < factor; i++) lines.push(...once)
  const doc = createDoc()
  const elements = lines.map((line) => {
    const element = new Y.XmlElement('paragraph')
    const text = new Y.XmlText()
    if (line !== '') text.insert(0, line)
    element.insert(0, [text])
    return element
  })
  doc.transact(() => bodyOf(doc).insert(0, elements))
  const state = Y.encodeStateAsUpdate(doc)
  doc.destroy()
  const text = lines.join('\n')
  return {
    factor,
    state,
    text,
    paragraphs: lines.length,
    json: {
      type: 'doc',
      content: lines.map((line) =>
        line === ''
          ? { type: 'paragraph' }
          : { type: 'paragraph', content: [{ type: 'text', text: line }] },
      ),
    },
    size: text.length + lines.length + 1,
  }
}
