import type { Node as PMNode, Schema } from '@tiptap/pm/model'
import { EditorState } from '@tiptap/pm/state'
import { describe, expect, it } from 'vitest'
import type * as Y from 'yjs'
import { createDoc } from '../../src/doc/model'
import { readBody, writeBody } from '../../src/doc/pm-bridge'
import { documentSchema } from '../../src/editor/extensions'
import { createRng } from '../helpers/random'
import { NO_FAULTS, TestNetwork } from '../helpers/test-network'

// Two peers edit the same paragraph while apart, one keystroke per editor transaction (as a
// person types), then reconnect: both sides' text must survive the merge, on both peers.

const schema: Schema = documentSchema()

function peers(): [Y.Doc, Y.Doc, TestNetwork] {
  const a = createDoc()
  const b = createDoc()
  a.clientID = 1
  b.clientID = 2
  const net = new TestNetwork([a, b], createRng(1), NO_FAULTS)
  const start = readBody(a, schema)
  writeBody(
    a,
    schema,
    start.type.create(null, [schema.node('paragraph', null, schema.text('The quick fox'))]),
  )
  net.heal()
  return [a, b, net]
}

/** Types `text` one character per transaction, starting at `offset` in the first paragraph. */
function type(doc: Y.Doc, offset: number, text: string): void {
  for (const [i, char] of [...text].entries()) {
    const before = readBody(doc, schema)
    const tr = EditorState.create({ doc: before }).tr.insertText(char, 1 + offset + i)
    writeBody(doc, schema, tr.doc)
  }
}

const firstParagraph = (doc: PMNode): string => doc.firstChild?.textContent ?? ''

describe('concurrent edits to one paragraph', () => {
  it('[CONV-4] concurrent edits to one paragraph keep both sides\u2019 text', () => {
    const [a, b, net] = peers()
    expect(firstParagraph(readBody(b, schema))).toBe('The quick fox')

    net.partition([[0], [1]])
    type(a, 'The quick'.length, ' brown') // A, in the middle
    type(b, 'The quick fox'.length, ' jumps') // B, at the end
    type(b, 0, 'See: ') // B, at the start
    expect(firstParagraph(readBody(a, schema))).toBe('The quick brown fox')
    expect(firstParagraph(readBody(b, schema))).toBe('See: The quick fox jumps')

    net.heal()
    const merged = readBody(a, schema)
    expect(JSON.stringify(readBody(b, schema).toJSON())).toBe(JSON.stringify(merged.toJSON()))
    expect(merged.childCount).toBe(1)
    expect(firstParagraph(merged)).toBe('See: The quick brown fox jumps')
    net.destroy()
  })

  it('[CONV-4] both peers typing at the same spot keep both words, in the same order everywhere', () => {
    const [a, b, net] = peers()
    net.partition([[0], [1]])
    type(a, 'The quick fox'.length, ' ran')
    type(b, 'The quick fox'.length, ' sat')
    net.heal()

    const text = firstParagraph(readBody(a, schema))
    expect(firstParagraph(readBody(b, schema))).toBe(text)
    // Yjs orders concurrent inserts at one position by client id; neither word is interleaved.
    expect(['The quick fox ran sat', 'The quick fox sat ran']).toContain(text)
    net.destroy()
  })
})
