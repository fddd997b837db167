import { describe, expect, it } from 'vitest'
import { prosemirrorJSONToYXmlFragment } from '@tiptap/y-tiptap'
import { bodyOf, createDoc } from '../../../src/doc/model'
import { deriveTitle, UNTITLED } from '../../../src/doc/title'
import { documentSchema } from '../../../src/editor/extensions'

const schema = documentSchema()
const p = (text: string) => ({ type: 'paragraph', content: text ? [{ type: 'text', text }] : [] })
const heading = (level: number, text: string) => ({
  type: 'heading',
  attrs: { level },
  content: [{ type: 'text', text, marks: [{ type: 'bold' }] }],
})

function titleOf(content: unknown[]): string {
  const doc = createDoc()
  prosemirrorJSONToYXmlFragment(schema, { type: 'doc', content }, bodyOf(doc))
  return deriveTitle(bodyOf(doc))
}

describe('derived titles', () => {
  it('[DOC-2] the first heading names the document, marks stripped', () => {
    expect(titleOf([p('intro line'), heading(2, 'Project plan'), heading(1, 'Later')])).toBe(
      'Project plan',
    )
  })

  it('[DOC-2] without a heading, the first non-empty line', () => {
    expect(titleOf([p(''), p('  Groceries   for   Sunday '), p('milk')])).toBe(
      'Groceries for Sunday',
    )
  })

  it('[DOC-2] lines inside lists count, and an empty document is Untitled', () => {
    expect(
      titleOf([
        { type: 'bulletList', content: [{ type: 'listItem', content: [p('first item')] }] },
      ]),
    ).toBe('first item')
    expect(titleOf([p('')])).toBe(UNTITLED)
    expect(titleOf([])).toBe(UNTITLED)
  })

  it('[DOC-2] deleted blocks name nothing, the first one included', () => {
    const doc = createDoc()
    prosemirrorJSONToYXmlFragment(
      schema,
      { type: 'doc', content: [heading(1, 'Old title'), p('body'), heading(2, 'Gone too')] },
      bodyOf(doc),
    )
    expect(deriveTitle(bodyOf(doc))).toBe('Old title')
    bodyOf(doc).delete(0, 1)
    bodyOf(doc).delete(1, 1)
    expect(deriveTitle(bodyOf(doc))).toBe('body')
  })

  it('[DOC-2] long titles are cut with an ellipsis', () => {
    const title = titleOf([p('x'.repeat(300))])
    expect(title).toHaveLength(80)
    expect(title.endsWith('…')).toBe(true)
  })
})
