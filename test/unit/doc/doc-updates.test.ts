// The document's one 'update' listener (GATE-8): whoever stores or forwards changes gets, for a
// change that arrived as bytes, those bytes, and for everything else Yjs's encoding. Checked the
// way the store uses it: a copy rebuilt from everything a listener was given equals the document.
import * as Y from 'yjs'
import { describe, expect, it, vi } from 'vitest'
import { docUpdates, hasPending } from '../../../src/doc/doc-updates'
import { createRng } from '../../helpers/random'

const REMOTE = Symbol('remote')

/** Everything the hub hands its listeners, with the origin. */
function record(doc: Y.Doc): { updates: Uint8Array[]; origins: unknown[]; stop: () => void } {
  const updates: Uint8Array[] = []
  const origins: unknown[] = []
  const stop = docUpdates(doc).subscribe((update, origin) => {
    updates.push(update)
    origins.push(origin)
  })
  return { updates, origins, stop }
}

function rebuilt(updates: Uint8Array[]): Y.Doc {
  const copy = new Y.Doc()
  for (const update of updates) Y.applyUpdate(copy, update)
  return copy
}

function sameContent(a: Y.Doc, b: Y.Doc, what = ''): void {
  expect(b.getText('t').toString(), what).toBe(a.getText('t').toString())
  expect(b.getMap('m').toJSON(), what).toEqual(a.getMap('m').toJSON())
  expect(Y.encodeStateVector(b), what).toEqual(Y.encodeStateVector(a))
}

function authorWith(value: string): { author: Y.Doc; update: Uint8Array } {
  const author = new Y.Doc()
  author.getText('t').insert(0, value)
  return { author, update: Y.encodeStateAsUpdate(author) }
}

function observers(doc: Y.Doc, event: string): number {
  return (
    (doc as unknown as { _observers: Map<string, Set<unknown>> })._observers.get(event)?.size ?? 0
  )
}

describe('the document update hub', () => {
  it('[GATE-8] a received update reaches listeners as the bytes that arrived, once; local changes as Yjs encodes them', () => {
    const doc = new Y.Doc()
    const seen = record(doc)
    const { update } = authorWith('from a peer')
    const emitted = vi.spyOn(doc, 'emit')
    expect(docUpdates(doc).applyReceived(update, REMOTE).changed).toBe(true)
    // Yjs did not encode the transaction: it emitted no 'update' event at all.
    expect(emitted.mock.calls.filter(([name]) => name === 'update')).toEqual([])
    emitted.mockRestore()
    expect(seen.updates).toHaveLength(1)
    // The same bytes, not an encoding of the transaction made from them.
    expect(seen.updates[0]).toBe(update)
    expect(seen.origins).toEqual([REMOTE])
    doc.getText('t').insert(0, 'typed: ')
    expect(seen.updates).toHaveLength(2)
    expect(seen.origins[1]).toBeNull()
    sameContent(doc, rebuilt(seen.updates))
  })

  it('[GATE-8] bytes that change nothing are not handed on and report no change', () => {
    const doc = new Y.Doc()
    const { update } = authorWith('known')
    Y.applyUpdate(doc, update)
    const seen = record(doc)
    expect(docUpdates(doc).applyReceived(update, REMOTE).changed).toBe(false)
    expect(seen.updates).toHaveLength(0)
  })

  it('[GATE-8] says whether the bytes deleted something the document still had', () => {
    const { author, update } = authorWith('abcdef')
    const doc = new Y.Doc()
    expect(docUpdates(doc).applyReceived(update, REMOTE)).toEqual({
      changed: true,
      deleted: false,
      pending: false,
    })
    const vector = Y.encodeStateVector(author)
    author.getText('t').delete(1, 2)
    const deletion = Y.encodeStateAsUpdate(author, vector)
    expect(docUpdates(doc).applyReceived(deletion, REMOTE)).toEqual({
      changed: true,
      deleted: true,
      pending: false,
    })
    // The same deletion again: known, nothing changes.
    expect(docUpdates(doc).applyReceived(deletion, REMOTE)).toEqual({
      changed: false,
      deleted: false,
      pending: false,
    })
    expect(doc.getText('t').toString()).toBe('adef')
  })

  it('[GATE-8] an update that releases pending structs is handed on as Yjs encodes it, with what it released', () => {
    const author = new Y.Doc()
    author.getText('t').insert(0, 'first ')
    const first = Y.encodeStateAsUpdate(author)
    const vector = Y.encodeStateVector(author)
    author.getText('t').insert(6, 'second')
    const second = Y.encodeStateAsUpdate(author, vector)
    const doc = new Y.Doc()
    const seen = record(doc)
    // Ahead of what it builds on: Yjs keeps it pending, nothing changed yet.
    expect(docUpdates(doc).applyReceived(second, REMOTE)).toEqual({
      changed: false,
      deleted: false,
      pending: true,
    })
    expect(hasPending(doc)).toBe(true)
    // Pending before this one: it says so, though nothing waits after it.
    expect(docUpdates(doc).applyReceived(first, REMOTE)).toEqual({
      changed: true,
      deleted: false,
      pending: true,
    })
    expect(hasPending(doc)).toBe(false)
    expect(doc.getText('t').toString()).toBe('first second')
    expect(seen.updates).toHaveLength(1)
    expect(seen.updates[0]).not.toBe(first)
    sameContent(doc, rebuilt(seen.updates))
  })

  it('[GATE-8] a transaction an observer starts during the apply is encoded and handed on too', () => {
    const doc = new Y.Doc()
    const seen = record(doc)
    doc.getText('t').observe((event) => {
      if (event.transaction.origin === REMOTE)
        doc.transact(() => doc.getMap('m').set('seen', 1), 'observer')
    })
    const { update } = authorWith('remote text')
    expect(docUpdates(doc).applyReceived(update, REMOTE).changed).toBe(true)
    expect(seen.origins).toEqual(['observer', REMOTE])
    sameContent(doc, rebuilt(seen.updates))
    // And the hub listens again afterwards.
    doc.getText('t').insert(0, '!')
    expect(seen.origins).toEqual(['observer', REMOTE, null])
  })

  it('[GATE-8] malformed bytes throw, change nothing, and leave the hub listening', () => {
    const doc = new Y.Doc()
    doc.getText('t').insert(0, 'intact')
    const seen = record(doc)
    expect(() => docUpdates(doc).applyReceived(new Uint8Array([0, 9, 200, 1, 7]), REMOTE)).toThrow()
    expect(doc.getText('t').toString()).toBe('intact')
    expect(seen.updates).toHaveLength(0)
    doc.getText('t').insert(6, '!')
    expect(seen.updates).toHaveLength(1)
  })

  it('[GATE-8] refused inside another transaction, whose encoding would hold more than the bytes', () => {
    const doc = new Y.Doc()
    const { update } = authorWith('x')
    doc.transact(() => {
      expect(() => docUpdates(doc).applyReceived(update, REMOTE)).toThrow(/inside a transaction/)
    })
  })

  it('[GATE-8] one listener on the document while anyone subscribes, none after (Yjs encodes nothing)', () => {
    const doc = new Y.Doc()
    expect(observers(doc, 'update')).toBe(0)
    const a = record(doc)
    const b = record(doc)
    expect(observers(doc, 'update')).toBe(1)
    docUpdates(doc).applyReceived(authorWith('y').update, REMOTE)
    expect(observers(doc, 'update')).toBe(1)
    expect(observers(doc, 'afterTransactionCleanup')).toBe(0)
    a.stop()
    b.stop()
    expect(observers(doc, 'update')).toBe(0)
    expect(docUpdates(doc)).toBe(docUpdates(doc))
  })

  it('[GATE-8] random interleavings of local edits and received updates rebuild to the same document', () => {
    let waited = 0
    for (let seed = 1; seed <= 50; seed += 1) {
      const rng = createRng(seed)
      const next = (n: number): number => rng.int(n)
      const doc = new Y.Doc()
      const seen = record(doc)
      const others = [new Y.Doc(), new Y.Doc()]
      const held: Uint8Array[] = []
      for (const other of others) other.on('update', (update: Uint8Array) => held.push(update))
      for (let step = 0; step < 40; step += 1) {
        const action = next(4)
        const target = action === 0 ? doc : (others[next(2)] as Y.Doc)
        const body = target.getText('t')
        if (action < 3) {
          if (body.length > 0 && next(3) === 0) body.delete(next(body.length), 1)
          else body.insert(next(body.length + 1), String.fromCharCode(97 + next(26)))
        } else if (held.length > 0) {
          // Out of order sometimes: Yjs keeps some pending until what they build on arrives.
          const [update] = held.splice(next(held.length), 1)
          docUpdates(doc).applyReceived(update as Uint8Array, REMOTE)
          if (hasPending(doc)) waited += 1
        }
      }
      for (const update of held.splice(0)) docUpdates(doc).applyReceived(update, REMOTE)
      expect(hasPending(doc)).toBe(false)
      sameContent(doc, rebuilt(seen.updates), `seed ${seed}`)
    }
    // The interleavings did leave structs waiting, the case the hub must not lose.
    expect(waited).toBeGreaterThan(20)
  })
})
