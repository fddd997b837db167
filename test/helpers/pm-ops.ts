import {
  chainCommands,
  createParagraphNear,
  joinBackward,
  lift,
  liftEmptyBlock,
  newlineInCode,
  setBlockType,
  splitBlock,
  toggleMark,
  wrapIn,
} from '@tiptap/pm/commands'
import type { Node as PMNode, NodeType, Schema } from '@tiptap/pm/model'
import { liftListItem, sinkListItem, splitListItem, wrapInList } from '@tiptap/pm/schema-list'
import { Transform } from '@tiptap/pm/transform'
import type { Command, Transaction } from '@tiptap/pm/state'
import { EditorState, TextSelection } from '@tiptap/pm/state'
import { yXmlFragmentToProseMirrorRootNode } from '@tiptap/y-tiptap'
import * as Y from 'yjs'
import { bodyOf } from '../../src/doc/model'
import { readBody, writeBody } from '../../src/doc/pm-bridge'
import { stripInlineNodeMarks } from '../../src/editor/inline-marks'
import type { Rng } from './random'

// Random edits a user can make in the Meshpad editor, as ProseMirror commands and transforms on
// the Tiptap schema, applied to a peer's body through the same bridge the editor binding uses
// (read the rendered document, transform it, write it back). Every op either yields a changed,
// schema-valid document or is skipped (and counted): an op that does not apply where the rng
// put the cursor is normal (lifting outside a list), and an op that would turn a valid document
// into an invalid one is a harness bug we refuse to write.

export const OP_KINDS = [
  'insertText',
  'delete',
  'split',
  'join',
  'mark',
  'wrapList',
  'liftList',
  'sinkList',
  'heading',
  'paragraph',
  'blockquote',
  'codeBlock',
  'horizontalRule',
  'hardBreak',
  'taskCheck',
] as const
export type OpKind = (typeof OP_KINDS)[number]

const WEIGHTS: Record<OpKind, number> = {
  insertText: 30,
  delete: 12,
  split: 10,
  join: 6,
  mark: 10,
  wrapList: 4,
  liftList: 3,
  sinkList: 2,
  heading: 4,
  paragraph: 3,
  blockquote: 3,
  codeBlock: 2,
  horizontalRule: 2,
  hardBreak: 3,
  taskCheck: 2,
}
const TOTAL_WEIGHT = OP_KINDS.reduce((sum, kind) => sum + WEIGHTS[kind], 0)

export interface OpCounts {
  applied: Record<OpKind, number>
  skipped: Record<OpKind, number>
  /** Skips because the op would have made a valid document invalid (should stay 0). */
  invalidResults: number
  /** Ops applied to a document that was already invalid when read (after a merge). */
  onInvalidInput: number
}

const zeroes = (): Record<OpKind, number> =>
  Object.fromEntries(OP_KINDS.map((kind) => [kind, 0])) as Record<OpKind, number>

export function createOpCounts(): OpCounts {
  return { applied: zeroes(), skipped: zeroes(), invalidResults: 0, onInvalidInput: 0 }
}

export function addOpCounts(into: OpCounts, from: OpCounts): void {
  for (const kind of OP_KINDS) {
    into.applied[kind] += from.applied[kind]
    into.skipped[kind] += from.skipped[kind]
  }
  into.invalidResults += from.invalidResults
  into.onInvalidInput += from.onInvalidInput
}

export const sumCounts = (counts: Record<OpKind, number>): number =>
  OP_KINDS.reduce((sum, kind) => sum + counts[kind], 0)

export interface OpOptions {
  /** Above this content size, half of all ops are large deletes: keeps documents moderate. */
  maxSize: number
}

/** Reads the peer's body, applies one random edit and writes it back; returns what it did. */
export function applyRandomOp(
  rng: Rng,
  doc: Y.Doc,
  schema: Schema,
  counts: OpCounts,
  options: OpOptions,
): { kind: OpKind; applied: boolean } {
  const before = readBody(doc, schema)
  const { kind, next: edited } = randomEdit(rng, before, options)
  // What the editor's TextOnlyMarks extension does after every edit (rule CONV-5).
  const next = edited === null ? null : stripInlineNodeMarks(new Transform(edited)).doc
  if (next === null) {
    counts.skipped[kind] += 1
    return { kind, applied: false }
  }
  if (!isValid(next)) {
    if (isValid(before)) {
      counts.invalidResults += 1
      counts.skipped[kind] += 1
      return { kind, applied: false }
    }
    // The merged document was already invalid; the editor would write the edit all the same.
    counts.onInvalidInput += 1
  }
  writeBody(doc, schema, next)
  if (process.env['FUZZ_DEBUG'] === '1') checkWrite(doc, schema, kind, before, next)
  counts.applied[kind] += 1
  return { kind, applied: true }
}

// Debug aid (FUZZ_DEBUG=1): after each write, the Yjs content must render to exactly the
// document the peer's editor now shows. Renders a copy, since rendering may write.
function checkWrite(doc: Y.Doc, schema: Schema, kind: OpKind, before: PMNode, next: PMNode): void {
  const copy = new Y.Doc()
  copy.clientID = doc.clientID
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc))
  const fresh = yXmlFragmentToProseMirrorRootNode(bodyOf(copy), schema)
  if (!fresh.eq(next)) {
    const json = (node: PMNode): string => JSON.stringify(node.toJSON())
    throw new Error(
      `write of ${kind} by client ${doc.clientID} left Yjs rendering differently from the view\n` +
        `before: ${json(before)}\nview:   ${json(next)}\nyjs:    ${json(fresh)}`,
    )
  }
}

/** Chooses one edit and computes the document after it; `next` is null when it does not apply. */
export function randomEdit(
  rng: Rng,
  doc: PMNode,
  options: OpOptions,
): { kind: OpKind; next: PMNode | null } {
  const kind: OpKind =
    doc.content.size > options.maxSize && rng.chance(0.5) ? 'delete' : pickKind(rng)
  try {
    return { kind, next: edit(kind, rng, doc, options) }
  } catch {
    // A transform that throws (a step that cannot apply, e.g. on a merged, invalid document)
    // is an op that does not apply here.
    return { kind, next: null }
  }
}

function pickKind(rng: Rng): OpKind {
  let n = rng.int(TOTAL_WEIGHT)
  for (const kind of OP_KINDS) {
    n -= WEIGHTS[kind]
    if (n < 0) return kind
  }
  return 'insertText'
}

function isValid(node: PMNode): boolean {
  try {
    node.check()
    return true
  } catch {
    return false
  }
}

interface Textblock {
  /** Position of the first inline position inside the block. */
  start: number
  node: PMNode
}

function textblocks(doc: PMNode): Textblock[] {
  const blocks: Textblock[] = []
  doc.descendants((node, pos) => {
    if (node.isTextblock) {
      blocks.push({ start: pos + 1, node })
      return false
    }
    return true
  })
  return blocks
}

// BMP only: a random position may fall anywhere in a string, and a cursor can never sit inside
// a surrogate pair in a real editor.
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz     éßø日本'

function randomText(rng: Rng): string {
  let text = ''
  const length = 1 + rng.int(8)
  for (let i = 0; i < length; i++) text += ALPHABET.charAt(rng.int(ALPHABET.length))
  return text
}

function randomCursor(rng: Rng, blocks: readonly Textblock[]): number | null {
  if (blocks.length === 0) return null
  const block = rng.pick(blocks)
  return block.start + rng.int(block.node.content.size + 1)
}

/** A non-empty range inside one textblock, or null if the chosen block is empty. */
function randomRange(rng: Rng, blocks: readonly Textblock[]): [number, number] | null {
  if (blocks.length === 0) return null
  const block = rng.pick(blocks)
  const size = block.node.content.size
  if (size === 0) return null
  const from = rng.int(size)
  const to = from + 1 + rng.int(Math.min(size - from, 20))
  return [block.start + from, block.start + to]
}

function runCommand(doc: PMNode, from: number, to: number, command: Command): PMNode | null {
  const state = EditorState.create({ doc, selection: TextSelection.create(doc, from, to) })
  let next: PMNode | null = null
  command(state, (tr: Transaction) => {
    if (tr.docChanged) next = tr.doc
  })
  return next
}

const nodeType = (schema: Schema, name: string): NodeType => {
  const type = schema.nodes[name]
  if (type === undefined) throw new Error(`pm-ops: the schema has no node type ${name}`)
  return type
}

function edit(kind: OpKind, rng: Rng, doc: PMNode, options: OpOptions): PMNode | null {
  const schema = doc.type.schema
  const blocks = textblocks(doc)
  const at = (command: Command): PMNode | null => {
    const pos = randomCursor(rng, blocks)
    return pos === null ? null : runCommand(doc, pos, pos, command)
  }
  const over = (command: Command): PMNode | null => {
    const range = randomRange(rng, blocks)
    return range === null ? null : runCommand(doc, range[0], range[1], command)
  }
  const newTr = (): Transaction => EditorState.create({ doc }).tr
  switch (kind) {
    case 'insertText': {
      const pos = randomCursor(rng, blocks)
      if (pos === null) {
        // Only atoms left (e.g. rules): type into a new paragraph at the end, as a click would.
        const paragraph = nodeType(schema, 'paragraph').create(null, schema.text(randomText(rng)))
        return newTr().insert(doc.content.size, paragraph).doc
      }
      return newTr().insertText(randomText(rng), pos).doc
    }
    case 'delete': {
      const size = doc.content.size
      const large = size > options.maxSize
      const from = large ? rng.int(size) : (randomCursor(rng, blocks) ?? rng.int(size))
      const span = large ? 1 + rng.int(200) : rng.chance(0.2) ? 1 + rng.int(60) : 1 + rng.int(8)
      const tr = newTr().delete(from, Math.min(size, from + span))
      return tr.docChanged ? tr.doc : null
    }
    case 'split':
      return at(
        chainCommands(
          splitListItem(nodeType(schema, 'listItem')),
          splitListItem(nodeType(schema, 'taskItem')),
          newlineInCode,
          createParagraphNear,
          liftEmptyBlock,
          splitBlock,
        ),
      )
    case 'join': {
      if (blocks.length === 0) return null
      const block = rng.pick(blocks)
      return runCommand(doc, block.start, block.start, joinBackward)
    }
    case 'mark': {
      const markName = rng.pick(['bold', 'italic', 'strike', 'code', 'link'])
      const type = schema.marks[markName]
      if (type === undefined) throw new Error(`pm-ops: the schema has no mark ${markName}`)
      const attrs = markName === 'link' ? { href: `https://example.com/${rng.int(1000)}` } : null
      return over(toggleMark(type, attrs))
    }
    case 'wrapList':
      return at(wrapInList(nodeType(schema, rng.pick(['bulletList', 'orderedList', 'taskList']))))
    case 'liftList':
      return at(
        chainCommands(
          liftListItem(nodeType(schema, 'listItem')),
          liftListItem(nodeType(schema, 'taskItem')),
        ),
      )
    case 'sinkList':
      return at(
        chainCommands(
          sinkListItem(nodeType(schema, 'listItem')),
          sinkListItem(nodeType(schema, 'taskItem')),
        ),
      )
    case 'heading':
      return at(setBlockType(nodeType(schema, 'heading'), { level: 1 + rng.int(3) }))
    case 'paragraph':
      return at(setBlockType(nodeType(schema, 'paragraph')))
    case 'blockquote':
      return at(chainCommands(lift, wrapIn(nodeType(schema, 'blockquote'))))
    case 'codeBlock':
      return at(setBlockType(nodeType(schema, 'codeBlock')))
    case 'horizontalRule': {
      const pos = randomCursor(rng, blocks)
      if (pos === null) return null
      const tr = newTr().setSelection(TextSelection.create(doc, pos))
      return tr.replaceSelectionWith(nodeType(schema, 'horizontalRule').create()).doc
    }
    case 'hardBreak': {
      const pos = randomCursor(rng, blocks)
      if (pos === null) return null
      const $pos = doc.resolve(pos)
      const hardBreak = nodeType(schema, 'hardBreak')
      if (!$pos.parent.canReplaceWith($pos.index(), $pos.index(), hardBreak)) return null
      return newTr().insert(pos, hardBreak.create()).doc
    }
    case 'taskCheck': {
      const items: { pos: number; node: PMNode }[] = []
      doc.descendants((node, pos) => {
        if (node.type.name === 'taskItem') items.push({ pos, node })
        return !node.isTextblock
      })
      if (items.length === 0) return null
      const item = rng.pick(items)
      const checked = item.node.attrs['checked'] === true
      return newTr().setNodeMarkup(item.pos, undefined, { ...item.node.attrs, checked: !checked })
        .doc
    }
  }
}
