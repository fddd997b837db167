// @vitest-environment jsdom
import type { Editor } from '@tiptap/core'
import type { Node as PMNode } from '@tiptap/pm/model'
import { TextSelection } from '@tiptap/pm/state'
import { Transform } from '@tiptap/pm/transform'
import type { DecorationSet } from '@tiptap/pm/view'
import {
  ProsemirrorBinding,
  absolutePositionToRelativePosition,
  yCursorPluginKey,
  yXmlFragmentToProseMirrorRootNode,
  ySyncPluginKey,
} from '@tiptap/y-tiptap'
import { afterEach, describe, expect, it } from 'vitest'
import { Awareness } from 'y-protocols/awareness'
import * as Y from 'yjs'
import { bodyOf, createDoc } from '../../../src/doc/model'
import { readBody, writeBody } from '../../../src/doc/pm-bridge'
import { blockPos, flatten, toPm } from '../../../src/editor/chunks'
import { createEditor } from '../../../src/editor/create-editor'
import { documentSchema } from '../../../src/editor/extensions'
import { randomEdit } from '../../helpers/pm-ops'
import { seededDoc, syncDocs } from '../../helpers/seeded-body'
import { createRng } from '../../helpers/random'

// The editor's block-level binding (src/editor/block-binding.ts, src/doc/block-sync.ts), driven
// through the real editor (Tiptap in jsdom) with peers exchanging Yjs updates by hand. The
// editor groups its blocks under chunks (src/editor/chunks.ts): `shown` is its document as Yjs
// holds it, flat, with the editor's very block nodes.

const schema = documentSchema()
const editors: Editor[] = []

afterEach(() => {
  for (const editor of editors.splice(0)) editor.destroy()
})

interface Peer {
  doc: Y.Doc
  editor: Editor
  awareness: Awareness
}

function peer(clientID: number): Peer {
  const doc = createDoc()
  doc.clientID = clientID
  const awareness = new Awareness(doc)
  const editor = createEditor({
    element: document.createElement('div'),
    doc,
    awareness,
    user: { name: `peer ${clientID}`, color: '#336699' },
  })
  editors.push(editor)
  return { doc, editor, awareness }
}

const sync = syncDocs

const p = (text: string): PMNode => schema.node('paragraph', null, text ? schema.text(text) : [])

const seeded = (n: number): Y.Doc => seededDoc(n, schema)

/** Applies `next` to the editor as ProseMirror would: one replace of the range that differs. */
function applyAsEdit(editor: Editor, next: PMNode): void {
  const doc = editor.state.doc
  const start = doc.content.findDiffStart(next.content)
  if (start === null) return
  const end = doc.content.findDiffEnd(next.content)
  if (end === null) return
  let { a: endA, b: endB } = end
  const overlap = start - Math.min(endA, endB)
  if (overlap > 0) {
    endA += overlap
    endB += overlap
  }
  editor.view.dispatch(editor.state.tr.replace(start, endA, next.slice(start, endB)))
}

/** The editor's document with its chunks taken away: the same block nodes, directly under the top. */
const shown = (editor: Editor): PMNode => flatten(editor.state.doc)

/** What the body renders to from scratch; an editor shows an empty body as one paragraph. */
function fresh(doc: Y.Doc): PMNode {
  const node = yXmlFragmentToProseMirrorRootNode(bodyOf(doc), schema)
  return node.childCount === 0 ? (schema.topNodeType.createAndFill() as PMNode) : node
}

/** Every top-level block index whose node is not the very same object in `before`. */
function rebuiltBlocks(before: PMNode, after: PMNode): number[] {
  const out: number[] = []
  for (let i = 0; i < after.childCount; i++) {
    if (i >= before.childCount || after.child(i) !== before.child(i)) out.push(i)
  }
  return out
}

describe('block binding: remote changes', () => {
  it('[BIND-1] a remote change in block k rebuilds block k only, in one replace of its range', () => {
    const a = seeded(60)
    const b = peer(2)
    sync(a, b.doc)
    const beforeDoc = b.editor.state.doc
    const before = shown(b.editor)
    expect(before.childCount).toBe(60)
    const steps: { from: number; to: number }[] = []
    b.editor.on('transaction', ({ transaction }) => {
      const meta = transaction.getMeta(ySyncPluginKey) as { isChangeOrigin?: boolean } | undefined
      if (meta?.isChangeOrigin) {
        for (const step of transaction.steps) steps.push(rangeOf(step))
      }
    })
    const body = readBody(a, schema)
    const k = 37
    let pos = 0
    for (let i = 0; i < k; i++) pos += body.child(i).nodeSize
    writeBody(a, schema, new Transform(body).insert(pos + 3, schema.text('!')).doc)
    sync(a, b.doc)
    const after = shown(b.editor)
    expect(after.child(k).textContent).toBe('li!ne 37')
    expect(rebuiltBlocks(before, after)).toEqual([k])
    const at = blockPos(beforeDoc, k)
    expect(steps).toEqual([{ from: at, to: at + before.child(k).nodeSize }])
  })

  it('[BIND-1] an edit inside a block is rendered without a walk over the other blocks', () => {
    const n = 2_000
    const a = seeded(n)
    const b = peer(2)
    sync(a, b.doc)
    // Every lookup of a block's node in the binding's mapping is counted.
    const { binding } = ySyncPluginKey.getState(b.editor.state) as { binding: ProsemirrorBinding }
    const mapping = binding.mapping as Map<unknown, unknown>
    let reads = 0
    const get = mapping.get.bind(mapping)
    mapping.get = (key) => {
      reads += 1
      return get(key)
    }
    const remote = (edit: (body: PMNode, at: number) => PMNode): number => {
      const body = readBody(a, schema)
      let pos = 0
      for (let i = 0; i < 1_234; i++) pos += body.child(i).nodeSize
      reads = 0
      writeBody(a, schema, edit(body, pos))
      sync(a, b.doc)
      return reads
    }
    const typed = remote((body, at) => new Transform(body).insert(at + 3, schema.text('!')).doc)
    expect(shown(b.editor).child(1_234).textContent).toBe('li!ne 1234')
    expect(typed).toBeLessThan(20)
    // A new block changes the list of blocks: that one walks it (and so the count can tell).
    const split = remote((body, at) => new Transform(body).split(at + 3).doc)
    expect(shown(b.editor).childCount).toBe(n + 1)
    expect(split).toBeGreaterThanOrEqual(n)
    expect(shown(b.editor).toJSON()).toEqual(fresh(b.doc).toJSON())
  })

  it('[BIND-2] nodes a remote change did not touch keep their identity, inside a changed block too', () => {
    const a = seeded(3)
    const body = readBody(a, schema)
    const list = schema.node('bulletList', null, [
      schema.node('listItem', null, [p('one')]),
      schema.node('listItem', null, [p('two')]),
      schema.node('listItem', null, [p('three')]),
    ])
    writeBody(a, schema, body.type.create(null, [body.child(0), list, body.child(2)]))
    const b = peer(2)
    sync(a, b.doc)
    const before = shown(b.editor)
    const listBefore = before.child(1)
    // A edits the second item.
    const withList = readBody(a, schema)
    const itemTwo = before.child(0).nodeSize + 1 + listBefore.child(0).nodeSize + 2
    writeBody(a, schema, new Transform(withList).insert(itemTwo + 3, schema.text('2')).doc)
    sync(a, b.doc)
    const after = shown(b.editor)
    expect(after.child(1).child(1).textContent).toBe('two2')
    expect(rebuiltBlocks(before, after)).toEqual([1])
    expect(after.child(1).child(0)).toBe(listBefore.child(0))
    expect(after.child(1).child(2)).toBe(listBefore.child(2))
  })

  it('[BIND-3] marks, lists, nesting, splits and joins from a peer render as Yjs holds them', () => {
    const a = seeded(4)
    const b = peer(2)
    sync(a, b.doc)
    const edits: ((doc: PMNode) => PMNode)[] = [
      (d) => new Transform(d).addMark(2, 6, schema.marks['bold']!.create()).doc,
      (d) => new Transform(d).split(4).doc, // split "line 0"
      (d) => new Transform(d).join(d.child(0).nodeSize).doc, // join it again
      (d) => {
        const tr = new Transform(d)
        const range = tr.doc.resolve(d.child(0).nodeSize + 1).blockRange()!
        tr.wrap(range, [{ type: schema.nodes['bulletList']! }, { type: schema.nodes['listItem']! }])
        return tr.doc
      },
      (d) => new Transform(d).setBlockType(1, 2, schema.nodes['heading']!, { level: 2 }).doc,
      (d) =>
        new Transform(d).delete(d.child(0).nodeSize, d.child(0).nodeSize + d.child(1).nodeSize).doc,
    ]
    for (const edit of edits) {
      writeBody(a, schema, edit(readBody(a, schema)))
      sync(a, b.doc)
      expect(shown(b.editor).toJSON()).toEqual(readBody(a, schema).toJSON())
      expect(shown(b.editor).toJSON()).toEqual(fresh(b.doc).toJSON())
    }
  })

  it('[BIND-5] a block moved by a peer keeps the local caret in its paragraph (drag and drop)', () => {
    const a = seeded(0)
    writeBody(a, schema, readBody(a, schema).type.create(null, [p('hello'), p('block')]))
    const b = peer(2)
    sync(a, b.doc)
    const caret = toPm(b.editor.state.doc, 1 + 'hello'.length)
    b.editor.view.dispatch(
      b.editor.state.tr.setSelection(TextSelection.create(b.editor.state.doc, caret)),
    )
    const body = readBody(a, schema)
    const moved = body.child(1)
    const start = body.child(0).nodeSize
    writeBody(
      a,
      schema,
      new Transform(body).delete(start, start + moved.nodeSize).insert(0, moved).doc,
    )
    sync(a, b.doc)
    expect(shown(b.editor).child(0).textContent).toBe('block')
    expect(b.editor.state.selection.anchor).toBe(caret + moved.nodeSize)
  })

  it('[AWARE-1] a remote change publishes the local caret again only when it moved the caret', () => {
    const a = seeded(0)
    writeBody(a, schema, readBody(a, schema).type.create(null, [p('hello'), p('world')]))
    const b = peer(2)
    sync(a, b.doc)
    // Carets are published while the editor has the focus, which jsdom gives no contenteditable.
    b.editor.view.hasFocus = () => true
    const caret = toPm(b.editor.state.doc, 'hello'.length + 2 + 'wor'.length + 1)
    b.editor.view.dispatch(
      b.editor.state.tr.setSelection(TextSelection.create(b.editor.state.doc, caret)),
    )
    const published: unknown[] = []
    b.awareness.on('update', ({ added, updated }: { added: number[]; updated: number[] }) => {
      if ([...added, ...updated].includes(b.doc.clientID))
        published.push(b.awareness.getLocalState()?.['cursor'])
    })
    // A types before B's caret: B's caret stays between "wor" and "ld", where its relative
    // position says, and nothing is signed and sent again (PRESENCE-1: two signatures each).
    let body = readBody(a, schema)
    writeBody(a, schema, new Transform(body).insert(1 + 'hello'.length, schema.text('!!')).doc)
    sync(a, b.doc)
    expect(shown(b.editor).child(0).textContent).toBe('hello!!')
    expect(b.editor.state.selection.anchor).toBe(caret + 2)
    expect(published).toEqual([])
    // A deletes the text around B's caret: the caret moves, and is published.
    body = readBody(a, schema)
    const start = body.child(0).nodeSize + 1
    writeBody(a, schema, new Transform(body).delete(start, start + 'world'.length).doc)
    sync(a, b.doc)
    expect(shown(b.editor).child(1).textContent).toBe('')
    expect(published).toHaveLength(1)
  })

  it('[BIND-5] a new peer’s caret starts at the top of the document it receives, not in its first empty paragraph', () => {
    const a = seeded(0)
    writeBody(
      a,
      schema,
      readBody(a, schema).type.create(null, [p('title'), p('text'), p(''), p('more')]),
    )
    const b = peer(2)
    expect(b.editor.state.selection.anchor).toBe(toPm(b.editor.state.doc, 1))
    sync(a, b.doc)
    expect(shown(b.editor).childCount).toBe(4)
    expect(b.editor.state.selection.anchor).toBe(toPm(b.editor.state.doc, 1))
  })

  it('[BIND-5] a caret in the block a peer moves goes with it', () => {
    const a = seeded(0)
    writeBody(a, schema, readBody(a, schema).type.create(null, [p('hello'), p('block')]))
    const b = peer(2)
    sync(a, b.doc)
    const start = shown(b.editor).child(0).nodeSize
    const caret = toPm(b.editor.state.doc, start + 1 + 3) // "blo|ck"
    b.editor.view.dispatch(
      b.editor.state.tr.setSelection(TextSelection.create(b.editor.state.doc, caret)),
    )
    const body = readBody(a, schema)
    const moved = body.child(1)
    writeBody(
      a,
      schema,
      new Transform(body).delete(start, start + moved.nodeSize).insert(0, moved).doc,
    )
    sync(a, b.doc)
    const { $head } = b.editor.state.selection
    expect($head.parent.textContent).toBe('block')
    expect($head.parentOffset).toBe(3)
  })

  it('[BIND-5] a remote caret stays where it types after a local block move', () => {
    const b = peer(2)
    b.editor.commands.setContent('<p>hello</p><p>block</p>')
    const caret = toPm(b.editor.state.doc, 1 + 'hello'.length)
    const { binding } = ySyncPluginKey.getState(b.editor.state) as {
      binding: ProsemirrorBinding
    }
    const remote = 99
    // A peer publishes positions of the flat document (the one Yjs holds).
    const publish = (pos: number): void => {
      const flat = pos - 1 // one chunk: its opening token is all that differs
      const rel: unknown = absolutePositionToRelativePosition(flat, binding.type, binding.mapping)
      b.awareness.states.set(remote, {
        user: { name: 'r', color: '#ff0000' },
        cursor: { anchor: rel, head: rel },
      })
      b.editor.view.dispatch(
        b.editor.state.tr.setMeta(yCursorPluginKey, { awarenessUpdated: true }),
      )
    }
    publish(caret)
    const doc = b.editor.state.doc
    const moved = doc.child(0).child(1)
    const start = blockPos(doc, 1)
    b.editor.view.dispatch(b.editor.state.tr.delete(start, start + moved.nodeSize).insert(1, moved))
    const expected = caret + moved.nodeSize
    publish(expected)
    const decorations = (yCursorPluginKey.getState(b.editor.state) as DecorationSet).find(
      0,
      b.editor.state.doc.content.size,
    )
    const widget = decorations.find((d) => (d.spec as { side?: number }).side === 10)
    expect(widget?.from).toBe(expected)
  })
})

describe('block binding: local changes', () => {
  it('[BIND-4] a keystroke writes only the block it changed', () => {
    const a = seeded(60)
    const b = peer(2)
    sync(a, b.doc)
    const body = bodyOf(b.doc)
    const target = body.get(30)
    let changed: Y.AbstractType<unknown>[] = []
    b.doc.on('afterTransaction', (tr: Y.Transaction) => {
      changed = [...tr.changedParentTypes.keys()] as Y.AbstractType<unknown>[]
    })
    const pos = blockPos(b.editor.state.doc, 30)
    b.editor.view.dispatch(b.editor.state.tr.insertText('x', pos + 2))
    // The body (its child changed below it), the paragraph, and the paragraph's text.
    expect(changed).toContain(target)
    expect(changed.filter((t) => t !== body && t !== target && t.parent !== target)).toEqual([])
    expect(fresh(b.doc).child(30).textContent).toBe('lxine 30')
  })

  it('[BIND-4] a keystroke, a split and a join far down the body never index into it', () => {
    const a = seeded(400)
    const b = peer(2)
    sync(a, b.doc)
    // Yjs finds an index in the body by walking every block before it: count such calls.
    const body = bodyOf(b.doc) as unknown as Record<string, (...args: unknown[]) => unknown>
    let indexed = 0
    for (const name of ['get', 'slice', 'insert', 'delete', 'toArray']) {
      const upstream = body[name]!.bind(body)
      body[name] = (...args: unknown[]) => {
        indexed++
        return upstream(...args)
      }
    }
    const at = blockPos(b.editor.state.doc, 350)
    b.editor.view.dispatch(b.editor.state.tr.insertText('x', at + 2))
    b.editor.view.dispatch(b.editor.state.tr.split(at + 4))
    b.editor.view.dispatch(b.editor.state.tr.join(blockPos(b.editor.state.doc, 351)))
    expect(indexed).toBe(0)
    expect(fresh(b.doc).child(350).textContent).toBe('lxine 350')
    expect(shown(b.editor).toJSON()).toEqual(fresh(b.doc).toJSON())
  })

  it('[BIND-4] splits, joins and moves typed locally reach Yjs exactly', () => {
    const b = peer(2)
    b.editor.commands.setContent(
      '<p>one two</p><ul><li><p>a</p></li><li><p>b</p></li></ul><p>end</p>',
    )
    const check = (): void => expect(shown(b.editor).toJSON()).toEqual(fresh(b.doc).toJSON())
    check()
    b.editor.view.dispatch(b.editor.state.tr.split(5)) // split "one two"
    check()
    b.editor.view.dispatch(b.editor.state.tr.join(blockPos(b.editor.state.doc, 1))) // join
    check()
    b.editor.commands.setTextSelection(b.editor.state.doc.content.size - 2)
    b.editor.commands.toggleBold()
    b.editor.commands.insertContent('bold')
    check()
    const doc = b.editor.state.doc
    const chunk = doc.child(0)
    const last = chunk.child(chunk.childCount - 1)
    const end = doc.content.size - 1
    b.editor.view.dispatch(b.editor.state.tr.delete(end - last.nodeSize, end).insert(1, last))
    check()
  })
})

describe('block binding: random edits on two editors', () => {
  it('[BIND-3] [BIND-4] every editor shows what its Yjs body holds, and both converge', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const rng = createRng(seed)
      const peers = [peer(10 + seed * 2), peer(11 + seed * 2)]
      for (let op = 0; op < 80; op++) {
        const who = peers[rng.int(2)]!
        const { next } = randomEdit(rng, who.editor.state.doc, { maxSize: 400 })
        if (next !== null) {
          try {
            next.check()
            applyAsEdit(who.editor, next)
          } catch {
            // an edit the schema refuses is not one an editor would make
          }
        }
        if (rng.chance(0.3)) sync(peers[0]!.doc, peers[1]!.doc)
        for (const { editor, doc } of peers) {
          expect(shown(editor).toJSON(), `seed ${seed} op ${op}`).toEqual(fresh(doc).toJSON())
        }
      }
      sync(peers[0]!.doc, peers[1]!.doc)
      expect(shown(peers[0]!.editor).toJSON(), `seed ${seed}`).toEqual(
        shown(peers[1]!.editor).toJSON(),
      )
      for (const editor of editors.splice(0)) editor.destroy()
    }
  }, 120_000)
})

function rangeOf(step: { getMap(): { forEach(f: (a: number, b: number) => void): void } }): {
  from: number
  to: number
} {
  let out = { from: -1, to: -1 }
  step.getMap().forEach((from, to) => {
    out = { from, to }
  })
  return out
}

// Not a rule: the patch (src/editor/block-binding.ts) replaces these members of y-tiptap 3.0.9's
// binding; if an upgrade renames one, this says which before anything silently runs upstream's.
describe('block binding: the y-tiptap internals it replaces', () => {
  it('exist on the pinned ProsemirrorBinding', () => {
    const binding = new ProsemirrorBinding(new Y.Doc().getXmlFragment('body'))
    const members = binding as unknown as Record<string, unknown>
    for (const name of [
      '_observeFunction',
      '_prosemirrorChanged',
      '_forceRerender',
      '_typeChanged',
      '_isLocalCursorInView',
      'mux',
      'beforeAllTransactions',
    ]) {
      expect(typeof members[name], name).toBe('function')
    }
    expect('_tr' in ProsemirrorBinding.prototype).toBe(true)
  })
})
