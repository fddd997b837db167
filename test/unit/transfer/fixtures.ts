import type { JSONContent } from '@tiptap/core'
import type { Node as PMNode, Schema } from '@tiptap/pm/model'

// One document holding every node and mark of the shared schema, in the places a person puts
// them (nested lists, marks combined, a break inside marked text, an empty paragraph, an empty
// code block), for the round-trip tests of every format.

const text = (value: string, ...marks: JSONContent['marks'] & object): JSONContent =>
  marks.length > 0 ? { type: 'text', text: value, marks } : { type: 'text', text: value }
const p = (...content: JSONContent[]): JSONContent =>
  content.length > 0 ? { type: 'paragraph', content } : { type: 'paragraph' }
const link = (href: string): { type: string; attrs: Record<string, unknown> } => ({
  type: 'link',
  attrs: { href },
})

export const EVERY_NODE_AND_MARK: JSONContent = {
  type: 'doc',
  content: [
    { type: 'heading', attrs: { level: 1 }, content: [text('Quarterly report')] },
    p(
      text('Plain, '),
      text('bold', { type: 'bold' }),
      text(', '),
      text('italic', { type: 'italic' }),
      text(', '),
      text('struck', { type: 'strike' }),
      text(', '),
      text('code', { type: 'code' }),
      text(', '),
      text('all of them', { type: 'bold' }, { type: 'italic' }, { type: 'strike' }),
      text(' and '),
      text('bold code', { type: 'bold' }, { type: 'code' }),
      text('. A '),
      text('link', link('https://example.com/a_b?c=d&e=f')),
      text(', a '),
      text('bold link', link('https://example.com/'), { type: 'bold' }),
      text(', '),
      text('mail', link('mailto:someone@example.com')),
      text('.'),
      { type: 'hardBreak' },
      text('After a line break: 1 < 2 & 3 > 2, *stars*, _under_, [brackets], `ticks`, # hash.'),
    ),
    {
      type: 'heading',
      attrs: { level: 2 },
      content: [text('Second '), text('level', { type: 'italic' })],
    },
    { type: 'heading', attrs: { level: 3 }, content: [text('Third level')] },
    p(),
    p(text('1. not a list, # not a heading, - not an item')),
    {
      type: 'bulletList',
      content: [
        {
          type: 'listItem',
          content: [
            p(text('bullet')),
            {
              type: 'bulletList',
              content: [{ type: 'listItem', content: [p(text('nested bullet'))] }],
            },
          ],
        },
        { type: 'listItem', content: [p(text('second bullet'))] },
      ],
    },
    {
      type: 'orderedList',
      attrs: { start: 1, type: null },
      content: [
        { type: 'listItem', content: [p(text('first'))] },
        {
          type: 'listItem',
          content: [
            p(text('second')),
            {
              type: 'orderedList',
              attrs: { start: 1, type: null },
              content: [{ type: 'listItem', content: [p(text('nested numbered'))] }],
            },
          ],
        },
      ],
    },
    {
      type: 'taskList',
      content: [
        { type: 'taskItem', attrs: { checked: true }, content: [p(text('done'))] },
        {
          type: 'taskItem',
          attrs: { checked: false },
          content: [
            p(text('to do')),
            {
              type: 'taskList',
              content: [
                { type: 'taskItem', attrs: { checked: false }, content: [p(text('sub-task'))] },
              ],
            },
          ],
        },
      ],
    },
    {
      type: 'blockquote',
      content: [
        p(text('A quote with '), text('emphasis', { type: 'italic' })),
        p(text('and more')),
      ],
    },
    {
      type: 'codeBlock',
      attrs: { language: 'ts' },
      content: [text('const html = "<b>not bold</b>"\n\nif (a < b && c) {\n  return `x`\n}')],
    },
    { type: 'codeBlock', attrs: { language: null } },
    { type: 'horizontalRule' },
    p(text('The end.')),
  ],
}

/** Every node type and mark type of `schema` that `doc` does not use. */
export function unused(doc: PMNode, schema: Schema): string[] {
  const nodes = new Set(Object.keys(schema.nodes))
  const marks = new Set(Object.keys(schema.marks))
  nodes.delete(doc.type.name)
  doc.descendants((node) => {
    nodes.delete(node.type.name)
    for (const mark of node.marks) marks.delete(mark.type.name)
  })
  return [...nodes, ...marks]
}

/** A File-like source for the importers. */
export function source(
  name: string,
  data: string | Uint8Array,
): {
  name: string
  size: number
  arrayBuffer(): Promise<ArrayBuffer>
} {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data
  return {
    name,
    size: bytes.length,
    arrayBuffer: () => Promise.resolve(bytes.slice().buffer),
  }
}
