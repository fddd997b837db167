import * as Y from 'yjs'

// A document's title comes from the document itself (rule DOC-2): the text of its first
// heading, else its first non-empty line, else "Untitled". Read straight from the Y.XmlFragment
// so it works without an editor (e.g. for documents listed but not open).

export const UNTITLED = 'Untitled'
const MAX_TITLE = 80

function plainText(node: Y.XmlElement | Y.XmlText): string {
  if (node instanceof Y.XmlText) {
    const delta = node.toDelta() as { insert?: unknown }[]
    return delta.map((op) => (typeof op.insert === 'string' ? op.insert : '')).join('')
  }
  if (node.nodeName === 'hardBreak') return '\n'
  return node
    .toArray()
    .map((child) =>
      child instanceof Y.XmlElement || child instanceof Y.XmlText ? plainText(child) : '',
    )
    .join('')
}

function clean(text: string): string {
  const line = text.split('\n').find((candidate) => candidate.trim() !== '') ?? ''
  const collapsed = line.replace(/\s+/g, ' ').trim()
  return collapsed.length > MAX_TITLE ? `${collapsed.slice(0, MAX_TITLE - 1)}…` : collapsed
}

// Walks Yjs's list of items rather than `toArray()`: the title is derived after every pause in
// typing, and copying the body's 23,000 children cost ~25 ms at x20, in the middle of typing.
// (`firstChild` does not skip a deleted first item, hence `_start`, as Yjs's own loops do.)
function* blocks(parent: Y.XmlFragment | Y.XmlElement): Generator<Y.XmlElement> {
  for (let item = parent._start; item !== null; item = item.right) {
    if (item.deleted || !(item.content instanceof Y.ContentType)) continue
    const child = item.content.type
    if (!(child instanceof Y.XmlElement)) continue
    yield child
    if (child.nodeName !== 'heading' && child.nodeName !== 'paragraph') yield* blocks(child)
  }
}

export function deriveTitle(body: Y.XmlFragment): string {
  let firstLine = ''
  for (const block of blocks(body)) {
    if (block.nodeName === 'heading') {
      const heading = clean(plainText(block))
      if (heading !== '') return heading
    } else if (
      firstLine === '' &&
      (block.nodeName === 'paragraph' || block.nodeName === 'codeBlock')
    ) {
      firstLine = clean(plainText(block))
    }
  }
  return firstLine !== '' ? firstLine : UNTITLED
}
