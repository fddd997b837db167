import 'fake-indexeddb/auto'
import { describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import {
  claimStore,
  COMPACT_AFTER_ROWS,
  deleteStore,
  foldRecentRows,
  LARGE_ROW_BYTES,
  loadAndCompact,
  openStore,
  UpdateWriter,
} from '../../../src/sync/idb-store'

/** How long a poll waits for what the test expects (the project's default is 1 s). */
const WAIT = { timeout: 10_000 }

// Logic of the IndexedDB engine against fake-indexeddb. The browser behaviours (durability on
// tab close, two tabs) are proven in real Chromium by the e2e suite.

let counter = 0
const freshName = (): string => `test-${process.pid}-${++counter}`

async function rowCount(db: IDBDatabase): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = db.transaction(['updates'], 'readonly').objectStore('updates').count()
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error ?? new Error('count failed'))
  })
}

/** The update of each of `inserts`, each put at the start of a text; and the text in the end. */
function updatesOf(inserts: readonly string[]): { updates: Uint8Array[]; text: string } {
  const source = new Y.Doc()
  const updates: Uint8Array[] = []
  source.on('update', (update: Uint8Array) => updates.push(update))
  for (const insert of inserts) source.getText('t').insert(0, insert)
  return { updates, text: source.getText('t').toString() }
}

/** The keys of one object store of `db`: 'updates' (the rows) or 'custom'. */
async function keysOf(db: IDBDatabase, store: 'updates' | 'custom'): Promise<IDBValidKey[]> {
  return new Promise((resolve, reject) => {
    const request = db.transaction([store], 'readonly').objectStore(store).getAllKeys()
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error ?? new Error('keys failed'))
  })
}

/** The value under `key` in one object store of `db`: 'updates' (the rows) or 'custom'. */
async function valueAt(
  db: IDBDatabase,
  store: 'updates' | 'custom',
  key: IDBValidKey,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const request = db.transaction([store], 'readonly').objectStore(store).get(key)
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error ?? new Error('get failed'))
  })
}

async function putRaw(db: IDBDatabase, value: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(['updates'], 'readwrite')
    tx.objectStore('updates').add(value)
    tx.oncomplete = () => resolve()
    tx.onerror = () => reject(tx.error ?? new Error('write failed'))
  })
}

function writerFor(db: IDBDatabase, doc: Y.Doc, durable: number[] = []) {
  const origin = {}
  const writer = new UpdateWriter(db, doc, origin, {
    durable: (seq) => durable.push(seq),
    failed: (error) => {
      throw error
    },
  })
  doc.on('update', (update: Uint8Array, from: unknown) => {
    if (from !== origin) writer.write(update)
  })
  return { writer, origin }
}

describe('IndexedDB document store', () => {
  it('[SAVE-1] writes of one task become one committed row, reported durable in order', async () => {
    const db = await openStore(freshName())
    const doc = new Y.Doc()
    const durable: number[] = []
    writerFor(db, doc, durable)
    const text = doc.getText('t')
    text.insert(0, 'a')
    text.insert(1, 'b')
    text.insert(2, 'c')
    await expect.poll(() => durable, { message: 'durable', ...WAIT }).toEqual([3])
    expect(await rowCount(db)).toBe(1)
    text.insert(3, 'd')
    await expect.poll(() => durable, { message: 'second write durable', ...WAIT }).toEqual([3, 4])
    db.close()
  })

  it('[SAVE-2] reopening compacts to one row and never grows the store', async () => {
    const name = freshName()
    const first = await openStore(name)
    const doc = new Y.Doc()
    const durable: number[] = []
    writerFor(first, doc, durable)
    for (let i = 0; i < 20; i++) {
      doc.getText('t').insert(0, `line ${i}\n`)
      await expect.poll(() => durable, { message: 'row durable', ...WAIT }).toHaveLength(i + 1)
    }
    expect(await rowCount(first)).toBe(20)
    first.close()

    const sizes: number[] = []
    for (let reopen = 0; reopen < 5; reopen++) {
      const db = await openStore(name)
      const copy = new Y.Doc()
      const report = await loadAndCompact(db, copy, {})
      expect(copy.getText('t').toString()).toBe(doc.getText('t').toString())
      expect(await rowCount(db)).toBe(1)
      sizes.push(report.bytes)
      db.close()
    }
    expect(new Set(sizes).size).toBe(1)
    expect(sizes[0]).toBe(Y.encodeStateAsUpdate(doc).byteLength)
  })

  it('[SAVE-3] a corrupt row is set aside with a count, and everything else loads', async () => {
    const name = freshName()
    const db = await openStore(name)
    const good = new Y.Doc()
    good.getText('t').insert(0, 'kept text')
    await putRaw(db, Y.encodeStateAsUpdate(good))
    await putRaw(db, new Uint8Array([255, 255, 255, 1, 2, 3]))
    await putRaw(db, 'not even bytes')
    const doc = new Y.Doc()
    const report = await loadAndCompact(db, doc, {})
    expect(report.corrupt).toBe(2)
    expect(doc.getText('t').toString()).toBe('kept text')
    expect(await rowCount(db)).toBe(1)
    // Nothing is lost: the bad rows are kept aside in the custom store.
    const quarantined = await keysOf(db, 'custom')
    expect(quarantined).toHaveLength(2)
    expect(
      quarantined.every((key) => typeof key === 'string' && key.startsWith('quarantine:')),
    ).toBe(true)
    db.close()
    await deleteStore(name)
  })

  it('[SAVE-3] a row cut short at any length never costs the rows before it: it loads, or it is set aside whole', async () => {
    const first = new Y.Doc()
    first.getText('t').insert(0, 'kept text')
    const kept = Y.encodeStateAsUpdate(first)
    // Another editor's row: inserts after the kept text, deletes some of its own, adds a block.
    const other = new Y.Doc()
    Y.applyUpdate(other, kept)
    const before = Y.encodeStateVector(other)
    other.transact(() => {
      other.getText('t').insert(9, ' and more, of which some is deleted')
      other.getText('t').delete(18, 8)
      other.getXmlFragment('x').insert(0, [new Y.XmlElement('p')])
    })
    const row = Y.encodeStateAsUpdate(other, before)
    const whole = other.getText('t').toString()
    const outcomes = { loaded: 0, setAside: 0, partly: 0 }
    const partial: string[] = []
    for (let length = 0; length <= row.byteLength; length++) {
      const cut = row.slice(0, length)
      const name = freshName()
      const db = await openStore(name)
      await putRaw(db, kept)
      await putRaw(db, cut)
      const doc = new Y.Doc()
      const report = await loadAndCompact(db, doc, {})
      const text = doc.getText('t').toString()
      expect(text.startsWith('kept text'), `length ${length}: ${text}`).toBe(true)
      if (report.corrupt === 0) {
        outcomes.loaded += 1
      } else {
        outcomes.setAside += 1
        if (text !== 'kept text') {
          outcomes.partly += 1
          partial.push(text)
        }
        expect(report.corrupt).toBe(1)
        // Kept whole, as it was stored.
        const aside = await keysOf(db, 'custom')
        expect(aside).toHaveLength(1)
        expect(await valueAt(db, 'custom', aside[0] as IDBValidKey)).toEqual(cut)
      }
      expect(await report.compacted).toBe(true)
      db.close()
      await deleteStore(name)
    }
    // Only the whole row loads; part of a cut one may stay (its structs are read before any is
    // integrated, its deletions are applied as they are read), never more than it held.
    expect(outcomes).toEqual({ loaded: 1, setAside: row.byteLength, partly: outcomes.partly })
    const undeleted = 'kept text and more, of which some is deleted'
    for (const text of partial) expect([whole, undeleted]).toContain(text)
    const doc = new Y.Doc()
    Y.applyUpdate(doc, kept)
    Y.applyUpdate(doc, row)
    expect(doc.getText('t').toString()).toBe(whole)
  })

  it("[SAVE-2] the writer's fold never reads a large row, and merges only the rows after the last one", async () => {
    const name = freshName()
    const db = await openStore(name)
    const inserts = ['x'.repeat(LARGE_ROW_BYTES), 'a', 'y'.repeat(LARGE_ROW_BYTES), 'b', 'c', 'd']
    const { updates, text } = updatesOf(inserts)
    const [state, small, paste, ...recent] = updates as [Uint8Array, ...Uint8Array[]]
    for (const row of [state, small, paste, ...recent]) await putRaw(db, row)
    const keysBefore = await keysOf(db, 'updates')
    const doc = new Y.Doc()
    expect(await foldRecentRows(db, doc, {})).toEqual({ folded: 3, corrupt: 0 })
    const keysAfter = await keysOf(db, 'updates')
    // The state, the small row before the paste, and the paste, untouched; then the fold.
    expect(keysAfter.slice(0, 3)).toEqual(keysBefore.slice(0, 3))
    expect(keysAfter).toHaveLength(4)
    expect(await valueAt(db, 'updates', keysAfter[2] as IDBValidKey)).toEqual(paste)
    // The fold was applied to the document: what it held, no more (the large rows were not read).
    expect(doc.getText('t').length).toBe(0)
    Y.applyUpdate(doc, state)
    Y.applyUpdate(doc, small as Uint8Array)
    Y.applyUpdate(doc, paste as Uint8Array)
    expect(doc.getText('t').toString()).toBe(text)
    // Nothing left to fold: a second call changes nothing.
    expect(await foldRecentRows(db, new Y.Doc(), {})).toEqual({ folded: 0, corrupt: 0 })
    const reopened = new Y.Doc()
    await loadAndCompact(db, reopened, {})
    expect(reopened.getText('t').toString()).toBe(text)
    db.close()
    await deleteStore(name)
  })

  it("[SAVE-3] a recent row that does not parse is set aside by the writer's fold; the rest is folded", async () => {
    const name = freshName()
    const db = await openStore(name)
    const { updates } = updatesOf(['a', 'b', 'c'])
    await putRaw(db, updates[0])
    await putRaw(db, updates[1])
    await putRaw(db, new Uint8Array([255, 255, 255, 1, 2, 3]))
    await putRaw(db, updates[2])
    const doc = new Y.Doc()
    expect(await foldRecentRows(db, doc, {})).toEqual({ folded: 3, corrupt: 1 })
    expect(await rowCount(db)).toBe(2)
    const quarantined = await keysOf(db, 'custom')
    expect(quarantined).toHaveLength(1)
    const reopened = new Y.Doc()
    await loadAndCompact(db, reopened, {})
    expect(reopened.getText('t').toString()).toBe('cba')
    db.close()
    await deleteStore(name)
  })

  it('[SAVE-4] compaction folds and reads in rows another tab wrote, so sharing a store loses nothing', async () => {
    const name = freshName()
    const dbA = await openStore(name)
    const dbB = await openStore(name)
    const docA = new Y.Doc()
    const docB = new Y.Doc()
    const durableA: number[] = []
    const durableB: number[] = []
    const { writer: writerA } = writerFor(dbA, docA, durableA)
    writerFor(dbB, docB, durableB)
    docA.getText('t').insert(0, 'from A ')
    await vi.waitFor(() => expect(durableA, 'A durable').toEqual([1]), WAIT)
    docB.getText('t').insert(0, 'from B ')
    await vi.waitFor(() => expect(durableB, 'B durable').toEqual([1]), WAIT)
    docA.getText('t').insert(0, 'again ')
    await vi.waitFor(() => expect(durableA, 'A durable').toEqual([1, 2]), WAIT)
    await writerA.compact()
    // A's first row stays (SAVE-2); B's row and A's second are folded into one, and read in.
    expect(await rowCount(dbA)).toBe(2)
    expect(docA.getText('t').toString()).toContain('from B')
    const fresh = new Y.Doc()
    const db = await openStore(name)
    await loadAndCompact(db, fresh, {})
    expect(fresh.getText('t').toString()).toContain('from A')
    expect(fresh.getText('t').toString()).toContain('from B')
    for (const handle of [dbA, dbB, db]) handle.close()
  })

  it('[LINK-7] a store belongs to the first address that opened it; another is refused', async () => {
    const name = freshName()
    const db = await openStore(name)
    expect(await claimStore(db, 'room-a')).toBe('claimed')
    expect(await claimStore(db, 'room-a')).toBe('claimed')
    expect(await claimStore(db, 'room-b')).toBe('mismatch')
    db.close()
  })

  it('[SAVE-2] the writer compacts by itself after many rows', async () => {
    const db = await openStore(freshName())
    const doc = new Y.Doc()
    const durable: number[] = []
    writerFor(db, doc, durable)
    for (let i = 0; i < COMPACT_AFTER_ROWS + 5; i++) {
      doc.getText('t').insert(0, 'x')
      await Promise.resolve() // one task boundary per edit: one row each
      await new Promise((resolve) => setTimeout(resolve, 0))
    }
    await expect
      .poll(() => durable.at(-1), { message: 'all durable', ...WAIT })
      .toBe(COMPACT_AFTER_ROWS + 5)
    await expect.poll(() => rowCount(db), { message: 'compacted', ...WAIT }).toBeLessThan(20)
    db.close()
  })
})
