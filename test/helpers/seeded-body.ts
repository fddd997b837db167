import type { Node as PMNode, Schema } from '@tiptap/pm/model'
import * as Y from 'yjs'
import { createDoc } from '../../src/doc/model'
import { readBody, writeBody } from '../../src/doc/pm-bridge'

// Documents for the binding's tests: a body of numbered paragraphs written by a headless peer,
// and two peers exchanging what the other lacks.

/** A document of `n` paragraphs "line 0" .. "line n-1", written by client 1 through `schema`. */
export function seededDoc(n: number, schema: Schema): Y.Doc {
  const doc = createDoc()
  doc.clientID = 1
  const paragraph = (text: string): PMNode => schema.node('paragraph', null, schema.text(text))
  const start = readBody(doc, schema)
  writeBody(
    doc,
    schema,
    start.type.create(
      null,
      Array.from({ length: n }, (_, i) => paragraph(`line ${i}`)),
    ),
  )
  return doc
}

/** Each of `a` and `b` applies what the other has and it lacks. */
export function syncDocs(a: Y.Doc, b: Y.Doc): void {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)))
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)))
}
