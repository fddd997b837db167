// @vitest-environment jsdom
import type { Editor } from '@tiptap/core'
import type { Node as PMNode } from '@tiptap/pm/model'
import { AllSelection, TextSelection } from '@tiptap/pm/state'
import type { ProsemirrorBinding } from '@tiptap/y-tiptap'
import {
  absolutePositionToRelativePosition,
  relativePositionToAbsolutePosition,
  yXmlFragmentToProseMirrorRootNode,
  ySyncPluginKey,
  yUndoPluginKey,
} from '@tiptap/y-tiptap'
import { afterEach, describe, expect, it } from 'vitest'
import { Awareness } from 'y-protocols/awareness'
import * as Y from 'yjs'
import { diffBlocks } from '../../../src/doc/block-sync'
import { bodyOf, createDoc } from '../../../src/doc/model'
import { MAX_GUARD, blockIndexAt } from '../../../src/editor/chunk-guard'
import {
  CHUNK,
  CHUNK_SIZE,
  blockCount,
  blockPos,
  chunkAt,
  chunkStart,
  chunkedBlocks,
  chunkify,
  diffChunked,
  flatten,
  toFlat,
  toPm,
} from '../../../src/editor/chunks'
import { createEditor } from '../../../src/editor/create-editor'
import { absolutePosition, relativePosition } from '../../../src/editor/relative-position'
import { documentSchema, editorSchema } from '../../../src/editor/extensions'
import { randomEdit } from '../../helpers/pm-ops'
import { seededDoc, syncDocs } from '../../helpers/seeded-body'
import { createRng } from '../../helpers/random'

// The editor's chunks (src/editor/chunks.ts, chunk-apply.ts, chunk-guard.ts; rule BIND-6): the
// map between the flat document Yjs holds and the chunked one the editor shows, and editing
// across chunk edges as a user would, through the real editor in jsdom.

const flat = documentSchema()
const chunked = editorSchema()
const editors: Editor[] = []

afterEach(() => {
  for (const editor of editors.splice(0)) editor.destroy()
})

const cp = (text: string): PMNode => chunked.node('paragraph', null, text ? chunked.text(text) : [])

/** A chunked document of chunks with these numbers of paragraphs "b0", "b1", ... */
function chunkedDoc(sizes: number[]): PMNode {
  let n = 0
  const chunks = sizes.map((size) =>
    chunked.node(
      CHUNK,
      null,
      Array.from({ length: size }, () => cp(`b${n++}`)),
    ),
  )
  return chunked.node('doc', null, chunks)
}

const seeded = (n: number): Y.Doc => seededDoc(n, flat)

function editorOn(doc: Y.Doc, clientID: number): Editor {
  doc.clientID = clientID
  const editor = createEditor({
    element: document.createElement('div'),
    doc,
    awareness: new Awareness(doc),
    user: { name: `peer ${clientID}`, color: '#336699' },
  })
  editors.push(editor)
  return editor
}

const sync = syncDocs

const fresh = (doc: Y.Doc): PMNode => yXmlFragmentToProseMirrorRootNode(bodyOf(doc), flat)
const texts = (doc: PMNode): string[] =>
  chunkedBlocks(doc)
    .all()
    .map((b) => b.textContent)

/** Puts the caret at `offset` in flat block `block`. */
function caretIn(editor: Editor, block: number, offset = 0): void {
  const pos = blockPos(editor.state.doc, block) + 1 + offset
  editor.view.dispatch(editor.state.tr.setSelection(TextSelection.create(editor.state.doc, pos)))
}

/** Every chunk holds 1..2*CHUNK_SIZE blocks, except one gathered around the selection. */
function expectChunksSound(editor: Editor): void {
  const { doc, selection } = editor.state
  const anchor = chunkAt(doc, blockIndexAt(doc, selection.anchor))
  doc.forEach((chunk, _offset, c) => {
    expect(chunk.type.name).toBe(CHUNK)
    expect(chunk.childCount).toBeGreaterThan(0)
    if (c !== anchor) expect(chunk.childCount).toBeLessThanOrEqual(2 * CHUNK_SIZE)
  })
}

describe('chunks: the map between the flat and the chunked document', () => {
  it('[BIND-6] every flat position maps to a chunked one and back, into the same block', () => {
    const doc = chunkedDoc([3, 1, 5, 2])
    const plain = flatten(doc)
    expect(plain.childCount).toBe(11)
    for (let f = 0; f <= plain.content.size; f++) {
      const pos = toPm(doc, f)
      expect(toFlat(doc, pos), `flat ${f}`).toBe(f)
      const $flat = plain.resolve(f)
      const $pos = doc.resolve(pos)
      if ($flat.depth > 0) {
        expect($pos.parent.textContent, `flat ${f}`).toBe($flat.parent.textContent)
        expect($pos.parentOffset).toBe($flat.parentOffset)
      }
      // Before a block (a node selection's anchor), the chunk position holds that block.
      const before = toPm(doc, f, true)
      if ($flat.depth === 0 && $flat.nodeAfter) {
        expect(doc.resolve(before).nodeAfter).toBe($flat.nodeAfter)
      }
    }
    // Chunk edges map onto block edges.
    for (let pos = 0; pos <= doc.content.size; pos++) {
      const $pos = doc.resolve(pos)
      if ($pos.depth === 0) expect(plain.resolve(toFlat(doc, pos)).depth).toBe(0)
    }
  })

  it('[BIND-6] block indices, positions and lookups agree with the flat document', () => {
    const doc = chunkedDoc([3, 1, 5, 2])
    const blocks = chunkedBlocks(doc)
    const plain = flatten(doc)
    expect(blocks.count).toBe(11)
    expect(blockCount(doc)).toBe(11)
    let pos = 0
    for (let i = 0; i < 11; i++) {
      expect(blocks.block(i)).toBe(plain.child(i))
      expect(blocks.indexOf(plain.child(i))).toBe(i)
      expect(toFlat(doc, blockPos(doc, i))).toBe(pos)
      pos += plain.child(i).nodeSize
    }
    // Random access after sequential access.
    expect(blocks.block(9)).toBe(plain.child(9))
    expect(blocks.block(0)).toBe(plain.child(0))
    expect(blocks.indexOf(cp('b1'))).toBe(-1)
    expect([0, 3, 4, 9].map((c) => chunkStart(doc, chunkAt(doc, c)))).toEqual([0, 3, 4, 9])
  })

  it('[BIND-4] [BIND-6] skipping shared chunks finds the blocks that comparing each one finds', () => {
    const rng = createRng(7)
    for (let round = 0; round < 300; round++) {
      const prev = chunkedDoc(Array.from({ length: 1 + rng.int(6) }, () => 1 + rng.int(5)))
      const blocks = chunkedBlocks(prev).all().slice()
      const at = rng.int(blocks.length)
      const kind = rng.int(4)
      if (kind === 0) blocks[at] = cp('changed')
      else if (kind === 1) blocks.splice(at, 0, cp('new'))
      else if (kind === 2 && blocks.length > 1) blocks.splice(at, 1)
      // kind 3: the same blocks, chunked anew
      const sizes: number[] = []
      for (let left = blocks.length; left > 0;) {
        const size = Math.min(left, 1 + rng.int(5))
        sizes.push(size)
        left -= size
      }
      // Reuse prev's chunk objects where the grouping and blocks match, as the editor does.
      let offset = 0
      const chunks = sizes.map((size, c) => {
        const part = blocks.slice(offset, (offset += size))
        const old = prev.maybeChild(c)
        const same = old?.childCount === size && part.every((b, i) => old.child(i) === b)
        return same ? old : chunked.node(CHUNK, null, part)
      })
      const next = chunked.node('doc', null, chunks)
      expect(diffChunked(prev, next), `round ${round}`).toEqual(
        diffBlocks(chunkedBlocks(prev), chunkedBlocks(next)),
      )
    }
  })

  it('[BIND-6] blocks are grouped in chunks of about CHUNK_SIZE, none empty', () => {
    const type = chunked.nodes[CHUNK]!
    expect(chunkify(type, [])).toEqual([])
    for (const n of [1, CHUNK_SIZE, 2 * CHUNK_SIZE, 2 * CHUNK_SIZE + 1, 1000, 23_460]) {
      const blocks = Array.from({ length: n }, (_, i) => cp(`${i}`))
      const chunks = chunkify(type, blocks)
      expect(chunks.reduce((sum, c) => sum + c.childCount, 0)).toBe(n)
      for (const chunk of chunks) {
        expect(chunk.childCount).toBeGreaterThan(0)
        expect(chunk.childCount).toBeLessThanOrEqual(2 * CHUNK_SIZE)
      }
      if (n > 2 * CHUNK_SIZE) expect(chunks.length).toBe(Math.round(n / CHUNK_SIZE))
    }
  })
})

describe('chunks: relative positions', () => {
  it('[BIND-6] every position becomes the relative position y-tiptap makes, from its block', () => {
    const doc = createDoc()
    const editor = editorOn(doc, 2)
    const block = (i: number): string =>
      [
        `<p>para <strong>${i}</strong> <em>x</em></p>`,
        '<p></p>',
        `<ul><li><p>a ${i}</p><ul><li><p>nested</p></li></ul></li><li><p></p></li></ul>`,
        `<h2>head ${i}</h2>`,
        '<blockquote><p>q</p><p></p></blockquote>',
        '<hr>',
      ][i % 6]!
    editor.commands.setContent(Array.from({ length: 200 }, (_, i) => block(i)).join(''))
    expect(editor.state.doc.childCount).toBeGreaterThan(2)
    const { binding } = ySyncPluginKey.getState(editor.state) as { binding: ProsemirrorBinding }
    const pm = editor.state.doc
    for (let pos = 0; pos <= pm.content.size; pos++) {
      const ours = relativePosition(binding, pm, pos)
      const theirs = absolutePositionToRelativePosition(
        toFlat(pm, pos),
        binding.type,
        binding.mapping,
      ) as Y.RelativePosition
      expect(Y.compareRelativePositions(ours, theirs), `position ${pos}`).toBe(true)
    }
  })

  it('[BIND-6] every relative position becomes the position y-tiptap computes, from its block', () => {
    const doc = createDoc()
    const editor = editorOn(doc, 2)
    editor.commands.setContent(
      Array.from({ length: 200 }, (_, i) =>
        i % 3 === 0
          ? `<p>para <strong>${i}</strong></p>`
          : i % 3 === 1
            ? `<ul><li><p>a ${i}</p><ul><li><p>n</p></li></ul></li><li><p></p></li></ul>`
            : '<p></p>',
      ).join(''),
    )
    const { binding } = ySyncPluginKey.getState(editor.state) as { binding: ProsemirrorBinding }
    const pm = editor.state.doc
    for (let pos = 0; pos <= pm.content.size; pos++) {
      const rel = relativePosition(binding, pm, pos)
      const flat = relativePositionToAbsolutePosition(doc, binding.type, rel, binding.mapping)
      const theirs = flat === null ? null : toPm(pm, flat)
      expect(absolutePosition(binding, pm, rel), `position ${pos}`).toBe(theirs)
    }
  })

  it('[BIND-6] the selection the undo plugin keeps for undo points where the caret was', () => {
    const doc = seeded(400)
    const editor = editorOn(doc, 2)
    caretIn(editor, 300, 4)
    editor.commands.insertContent('XYZ')
    const { prevSel } = yUndoPluginKey.getState(editor.state) as {
      prevSel: { anchor: unknown; head: unknown }
    }
    const { binding } = ySyncPluginKey.getState(editor.state) as { binding: ProsemirrorBinding }
    for (const rel of [prevSel.anchor, prevSel.head]) {
      const flatPos = relativePositionToAbsolutePosition(doc, binding.type, rel, binding.mapping)
      expect(flatPos).not.toBeNull()
      const $pos = editor.state.doc.resolve(toPm(editor.state.doc, flatPos!))
      expect($pos.parent.textContent).toBe('lineXYZ 300')
      expect($pos.parentOffset).toBe(4)
    }
  })
})

describe('chunks: editing across chunk edges', () => {
  it('[BIND-6] a long body is shown in chunks, and Yjs never sees them', () => {
    const doc = seeded(1_000)
    const editor = editorOn(doc, 2)
    expect(editor.state.doc.childCount).toBe(Math.round(1_000 / CHUNK_SIZE))
    expectChunksSound(editor)
    expect(flatten(editor.state.doc).toJSON()).toEqual(fresh(doc).toJSON())
    // The editor's element holds the chunks, each the blocks of its own.
    const dom = editor.view.dom
    expect(dom.children).toHaveLength(editor.state.doc.childCount)
    expect(dom.children[1]!.className).toBe('chunk')
    expect(dom.querySelectorAll('p')).toHaveLength(1_000)
  })

  it('[BIND-6] Backspace at the start of a chunk joins the paragraphs, not the chunks', () => {
    const doc = seeded(300)
    const editor = editorOn(doc, 2)
    const second = chunkStart(editor.state.doc, 1)
    caretIn(editor, second)
    expectChunksSound(editor)
    expect(editor.commands.joinBackward()).toBe(true)
    const shown = texts(editor.state.doc)
    expect(shown).toHaveLength(299)
    expect(shown[second - 1]).toBe(`line ${second - 1}line ${second}`)
    expect(flatten(editor.state.doc).toJSON()).toEqual(fresh(doc).toJSON())
    // The caret is where the join put it, between the two texts.
    const { $head } = editor.state.selection
    expect($head.parent.textContent.slice($head.parentOffset)).toBe(`line ${second}`)
  })

  it('[BIND-6] Delete at the end of a chunk joins the next paragraph into it', () => {
    const doc = seeded(300)
    const editor = editorOn(doc, 2)
    const last = chunkStart(editor.state.doc, 1) - 1
    caretIn(editor, last, `line ${last}`.length)
    expect(editor.commands.joinForward()).toBe(true)
    expect(texts(editor.state.doc)[last]).toBe(`line ${last}line ${last + 1}`)
    expect(flatten(editor.state.doc).toJSON()).toEqual(fresh(doc).toJSON())
  })

  it('[BIND-6] a selection over three chunks is made a list and reaches Yjs as one', () => {
    const doc = seeded(400)
    const editor = editorOn(doc, 2)
    const from = chunkStart(editor.state.doc, 1) - 2
    const to = chunkStart(editor.state.doc, 3) + 2
    const $from = blockPos(editor.state.doc, from) + 1
    const $to = blockPos(editor.state.doc, to) + 3
    editor.view.dispatch(
      editor.state.tr.setSelection(TextSelection.create(editor.state.doc, $from, $to)),
    )
    expectChunksSound(editor)
    expect(editor.commands.toggleBulletList()).toBe(true)
    const body = fresh(doc)
    expect(flatten(editor.state.doc).toJSON()).toEqual(body.toJSON())
    const list = body.child(from)
    expect(list.type.name).toBe('bulletList')
    expect(list.childCount).toBe(to - from + 1)
    expect(body.childCount).toBe(400 - (to - from))
  })

  it('[BIND-6] moving the caret over chunk edges never rebuilds the DOM of its own block', () => {
    const doc = seeded(300)
    const editor = editorOn(doc, 2)
    let moved = 0
    // The first and last block of chunks, as they are at each step, and some others.
    const edges = (c: number, side: number): number => chunkStart(editor.state.doc, c) - side
    const picks = [() => edges(1, 0), () => edges(2, 1), () => 0, () => 299, () => edges(3, 0)]
    for (const pick of [...picks, ...picks, () => 150, () => edges(1, 1), () => edges(2, 0)]) {
      const block = pick()
      const dom = editor.view.nodeDOM(blockPos(editor.state.doc, block))
      const before = editor.state.doc
      caretIn(editor, block)
      if (editor.state.doc !== before) moved++
      expect(editor.view.nodeDOM(blockPos(editor.state.doc, block)), `block ${block}`).toBe(dom)
      expect(texts(editor.state.doc)[block]).toBe(`line ${block}`)
      expectChunksSound(editor)
    }
    // The caret did cross chunk edges, and blocks were moved between chunks.
    expect(moved).toBeGreaterThan(3)
    // Block by block down and up again, as ArrowDown and ArrowUp move it.
    const order = [
      ...Array.from({ length: 300 }, (_, i) => i),
      ...Array.from({ length: 300 }, (_, i) => 299 - i),
    ]
    for (const block of order) {
      const dom = editor.view.nodeDOM(blockPos(editor.state.doc, block))
      caretIn(editor, block)
      expect(editor.view.nodeDOM(blockPos(editor.state.doc, block)), `block ${block}`).toBe(dom)
      expectChunksSound(editor)
    }
    expect(texts(editor.state.doc)).toEqual(Array.from({ length: 300 }, (_, i) => `line ${i}`))
  })

  it('[BIND-6] blocks copied across a chunk edge paste back as those blocks, no chunk inside', () => {
    const doc = seeded(300)
    const editor = editorOn(doc, 2)
    const edge = chunkStart(editor.state.doc, 2)
    const from = blockPos(editor.state.doc, edge - 3) + 1
    const to = blockPos(editor.state.doc, edge + 3) + 1 + `line ${edge + 3}`.length
    editor.view.dispatch(
      editor.state.tr.setSelection(TextSelection.create(editor.state.doc, from, to)),
    )
    const copied = editor.view.serializeForClipboard(editor.state.selection.content())
    // The clipboard's plain text holds the blocks, with no trace of chunks.
    expect(copied.text.split('\n\n')).toEqual(
      Array.from({ length: 7 }, (_, i) => `line ${edge - 3 + i}`),
    )
    caretIn(editor, 10, 'line 10'.length)
    // jsdom has no ClipboardEvent; ProseMirror only hands the event to paste handlers.
    const paste = new Event('paste') as unknown as ClipboardEvent
    expect(editor.view.pasteHTML(copied.dom.innerHTML, paste)).toBe(true)
    const shown = texts(editor.state.doc)
    expect(shown.slice(10, 18)).toEqual([
      `line 10line ${edge - 3}`,
      ...Array.from({ length: 5 }, (_, i) => `line ${edge - 2 + i}`),
      `line ${edge + 3}`,
      'line 11',
    ])
    expect(shown).toHaveLength(306)
    expectChunksSound(editor)
    editor.state.doc.forEach((chunk) =>
      chunk.forEach((block) => expect(block.type.name).not.toBe(CHUNK)),
    )
    expect(flatten(editor.state.doc).toJSON()).toEqual(fresh(doc).toJSON())
  })

  it('[BIND-6] select all and delete empties the document everywhere', () => {
    const a = seeded(500)
    const b = createDoc()
    sync(a, b)
    const editor = editorOn(a, 2)
    const other = editorOn(b, 3)
    editor.view.dispatch(editor.state.tr.setSelection(new AllSelection(editor.state.doc)))
    expect(editor.commands.deleteSelection()).toBe(true)
    sync(a, b)
    expect(texts(editor.state.doc)).toEqual([''])
    expect(texts(other.state.doc)).toEqual([''])
    expect(blockCount(other.state.doc)).toBe(1)
    // Selections larger than MAX_GUARD are not gathered: the bound exists.
    expect(MAX_GUARD).toBeGreaterThanOrEqual(8 * CHUNK_SIZE)
  })

  it('[BIND-6] a paste of many blocks and a peer adding many are cut into chunks', () => {
    const a = seeded(10)
    const b = createDoc()
    sync(a, b)
    const editor = editorOn(a, 2)
    const other = editorOn(b, 3)
    caretIn(editor, 5, 2)
    const html = Array.from({ length: 600 }, (_, i) => `<p>pasted ${i}</p>`).join('')
    editor.commands.insertContent(html)
    expectChunksSound(editor)
    expect(editor.state.doc.childCount).toBeGreaterThanOrEqual(600 / (2 * CHUNK_SIZE))
    expect(flatten(editor.state.doc).toJSON()).toEqual(fresh(a).toJSON())
    sync(a, b)
    expectChunksSound(other)
    expect(flatten(other.state.doc).toJSON()).toEqual(fresh(b).toJSON())
    expect(blockCount(other.state.doc)).toBe(blockCount(editor.state.doc))
  })

  it('[BIND-3] [BIND-6] random edits and caret moves over many chunks converge', () => {
    for (let seed = 1; seed <= 6; seed++) {
      const rng = createRng(seed)
      const start = seeded(260)
      const docs = [createDoc(), createDoc()]
      for (const doc of docs) sync(start, doc)
      const peers = docs.map((doc, i) => ({ doc, editor: editorOn(doc, 100 + seed * 2 + i) }))
      for (let op = 0; op < 60; op++) {
        const who = peers[rng.int(2)]!
        const { editor } = who
        if (rng.chance(0.4)) {
          caretIn(editor, rng.int(blockCount(editor.state.doc)))
        } else {
          const { next } = randomEdit(rng, editor.state.doc, { maxSize: 20_000 })
          if (next !== null) {
            try {
              next.check()
              const from = editor.state.doc.content.findDiffStart(next.content)
              const end = editor.state.doc.content.findDiffEnd(next.content)
              if (from !== null && end !== null) {
                const endA = Math.max(end.a, from)
                const endB = Math.max(end.b, from + (endA - end.a))
                editor.view.dispatch(editor.state.tr.replace(from, endA, next.slice(from, endB)))
              }
            } catch {
              // an edit the schema refuses is not one an editor would make
            }
          }
        }
        if (rng.chance(0.3)) sync(docs[0]!, docs[1]!)
        for (const peer of peers) {
          expect(flatten(peer.editor.state.doc).toJSON(), `seed ${seed} op ${op}`).toEqual(
            fresh(peer.doc).toJSON(),
          )
          expectChunksSound(peer.editor)
        }
      }
      sync(docs[0]!, docs[1]!)
      expect(flatten(peers[0]!.editor.state.doc).toJSON()).toEqual(
        flatten(peers[1]!.editor.state.doc).toJSON(),
      )
      for (const editor of editors.splice(0)) editor.destroy()
    }
  }, 120_000)
})

describe('chunks: a modified client', () => {
  it('[THREAT-12] [BIND-6] a chunk element written into the body is rejected by every editor', () => {
    const a = seeded(200)
    const b = createDoc()
    sync(a, b)
    const editor = editorOn(b, 3)
    // A client writes the editor's own structure into the shared body, bypassing any editor.
    const forged = new Y.XmlElement('chunk')
    const paragraph = new Y.XmlElement('paragraph')
    paragraph.insert(0, [new Y.XmlText('forged')])
    forged.insert(0, [paragraph])
    bodyOf(a).insert(100, [forged])
    sync(a, b)
    const doc = editor.state.doc
    doc.forEach((chunk) => {
      expect(chunk.type.name).toBe(CHUNK)
      chunk.forEach((block) => expect(block.type.name).not.toBe(CHUNK))
    })
    expect(texts(doc)).not.toContain('forged')
    expect(blockCount(doc)).toBe(200)
    // The editor deleted it from Yjs, as any element the schema rejects; the peers agree.
    sync(a, b)
    expect(
      bodyOf(a)
        .toArray()
        .some((t) => (t as Y.XmlElement).nodeName === 'chunk'),
    ).toBe(false)
    expect(flatten(editor.state.doc).toJSON()).toEqual(fresh(a).toJSON())
  })
})
