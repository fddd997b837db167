import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { NO_PARENT, entryId } from '../../src/protocol/entry'
import type { EntryStore, NewSnapshot, NewTombstone, NewUpdate } from '../../server/always-on/store'

// One contract suite for every storage engine of the always-on peer (rules STORE-5..8), as
// automerge-repo's storage adapter tests: the embedded SQLite engine and the PostgreSQL adapter
// both run it. `open` returns a store over the same data each time it is called within one test
// (so reopening is the same as a restart); `fresh` wipes that data between tests.

export interface StoreHarness {
  open(): Promise<EntryStore>
  fresh(): Promise<void>
}

const BIG = 1 << 30

function update(parent: Uint8Array = NO_PARENT, size = 40): NewUpdate {
  const bytes = new Uint8Array(randomBytes(size))
  return { id: entryId(bytes), parent, bytes }
}

function snapshot(parent: Uint8Array, covers: number, size = 100): NewSnapshot {
  return { ...update(parent, size), covers }
}

function tombstone(size = 120): NewTombstone {
  const bytes = new Uint8Array(randomBytes(size))
  return { id: entryId(bytes), bytes }
}

const topic = (): string => `mp2.${randomBytes(8).toString('hex')}`

export function runEntryStoreContract(name: string, harness: StoreHarness): void {
  describe(`EntryStore contract: ${name}`, () => {
    let store: EntryStore
    beforeEach(async () => {
      await harness.fresh()
      store = await harness.open()
    })
    afterEach(async () => {
      await store.close()
    })

    it('[STORE-5] nothing stored reads as null', async () => {
      expect(await store.read(topic(), { snapshotId: null, since: 0 })).toBeNull()
    })

    it('[STORE-5] sequence numbers are per document, dense, from 1', async () => {
      const a = topic()
      const b = topic()
      expect(await store.append(a, update(), BIG)).toEqual({ kind: 'stored', seq: 1 })
      expect(await store.append(a, update(), BIG)).toEqual({ kind: 'stored', seq: 2 })
      expect(await store.append(b, update(), BIG)).toEqual({ kind: 'stored', seq: 1 })
      const read = await store.read(a, { snapshotId: null, since: 0 })
      expect(read?.head).toBe(2)
      expect(read?.updates.map((entry) => entry.seq)).toEqual([1, 2])
    })

    it('[STORE-5] an entry stored twice is a duplicate with its first sequence number', async () => {
      const t = topic()
      const first = update()
      await store.append(t, update(), BIG)
      expect(await store.append(t, first, BIG)).toEqual({ kind: 'stored', seq: 2 })
      expect(await store.append(t, first, BIG)).toEqual({ kind: 'duplicate', seq: 2 })
      const read = await store.read(t, { snapshotId: null, since: 0 })
      expect(read?.updates).toHaveLength(2)
      expect(read?.updates[1]?.bytes).toEqual(first.bytes)
      expect(read?.updates[1]?.id).toEqual(first.id)
    })

    it('[STORE-5] an update must build on the current snapshot', async () => {
      const t = topic()
      await store.append(t, update(), BIG)
      expect(await store.append(t, update(new Uint8Array(32).fill(7)), BIG)).toEqual({
        kind: 'stale-parent',
      })
      const snap = snapshot(NO_PARENT, 1)
      expect(await store.compact(t, snap, BIG)).toMatchObject({ kind: 'stored', seq: 2 })
      // The old parent is refused now: a replay of an old update cannot come back.
      expect(await store.append(t, update(NO_PARENT), BIG)).toEqual({ kind: 'stale-parent' })
      expect(await store.append(t, update(snap.id), BIG)).toEqual({ kind: 'stored', seq: 3 })
    })

    it('[STORE-7] a write over the document limit is refused and takes no sequence number', async () => {
      const t = topic()
      expect(await store.append(t, update(NO_PARENT, 60), 100)).toEqual({ kind: 'stored', seq: 1 })
      expect(await store.append(t, update(NO_PARENT, 60), 100)).toEqual({
        kind: 'document-full',
        bytes: 60,
      })
      expect(await store.append(t, update(NO_PARENT, 40), 100)).toEqual({ kind: 'stored', seq: 2 })
    })

    it('[STORE-5] a refused first write leaves nothing behind', async () => {
      const t = topic()
      expect(await store.append(t, update(new Uint8Array(32).fill(3)), BIG)).toEqual({
        kind: 'stale-parent',
      })
      expect(await store.append(topic(), update(NO_PARENT, 60), 10)).toMatchObject({
        kind: 'document-full',
      })
      expect(await store.compact(t, snapshot(NO_PARENT, 5), BIG)).toMatchObject({
        kind: 'covers-ahead',
      })
      expect(await store.read(t, { snapshotId: null, since: 0 })).toBeNull()
      expect(await store.totals()).toEqual({ documents: 0, entries: 0, bytes: 0 })
    })

    it('[STORE-7] a snapshot over the document limit is refused; compaction frees bytes', async () => {
      const t = topic()
      for (let i = 0; i < 4; i += 1) await store.append(t, update(NO_PARENT, 50), 1000)
      expect(await store.compact(t, snapshot(NO_PARENT, 4, 2000), 1000)).toEqual({
        kind: 'document-full',
        bytes: 200,
      })
      expect(await store.compact(t, snapshot(NO_PARENT, 4, 120), 1000)).toMatchObject({
        kind: 'stored',
        removed: 4,
      })
      expect(await store.totals()).toEqual({ documents: 1, entries: 1, bytes: 120 })
    })

    it('[STORE-8] a snapshot drops the updates it covers and the snapshot before it, atomically', async () => {
      const t = topic()
      for (let i = 0; i < 4; i += 1) await store.append(t, update(), BIG)
      const first = snapshot(NO_PARENT, 3)
      expect(await store.compact(t, first, BIG)).toEqual({ kind: 'stored', seq: 5, removed: 3 })
      await store.append(t, update(first.id), BIG) // 6
      const second = snapshot(first.id, 6)
      expect(await store.compact(t, second, BIG)).toEqual({ kind: 'stored', seq: 7, removed: 3 })
      const read = await store.read(t, { snapshotId: null, since: 0 })
      expect(read?.head).toBe(7)
      expect(read?.snapshot?.id).toEqual(second.id)
      expect(read?.snapshot?.covers).toBe(6)
      expect(read?.snapshot?.seq).toBe(7)
      expect(read?.updates).toEqual([])
      const totals = await store.totals()
      expect(totals.entries).toBeGreaterThanOrEqual(1)
    })

    it('[STORE-8] updates after what a snapshot covers stay', async () => {
      const t = topic()
      for (let i = 0; i < 3; i += 1) await store.append(t, update(), BIG)
      const snap = snapshot(NO_PARENT, 2)
      await store.compact(t, snap, BIG)
      const read = await store.read(t, { snapshotId: null, since: 0 })
      expect(read?.snapshot?.seq).toBe(4)
      expect(read?.updates.map((entry) => entry.seq)).toEqual([3])
    })

    it('[STORE-8] a snapshot on a stale parent or covering the future is refused', async () => {
      const t = topic()
      await store.append(t, update(), BIG)
      expect(await store.compact(t, snapshot(NO_PARENT, 2), BIG)).toEqual({
        kind: 'covers-ahead',
        head: 1,
      })
      const first = snapshot(NO_PARENT, 1)
      await store.compact(t, first, BIG)
      expect(await store.compact(t, snapshot(NO_PARENT, 2), BIG)).toEqual({ kind: 'stale-parent' })
      expect(await store.compact(t, first, BIG)).toEqual({ kind: 'duplicate', seq: 2 })
      const read = await store.read(t, { snapshotId: null, since: 0 })
      expect(read?.snapshot?.id).toEqual(first.id)
    })

    it('[STORE-5] a reader holding the current snapshot gets only the updates after `since`', async () => {
      const t = topic()
      await store.append(t, update(), BIG)
      const snap = snapshot(NO_PARENT, 1)
      await store.compact(t, snap, BIG)
      for (let i = 0; i < 3; i += 1) await store.append(t, update(snap.id), BIG) // 3, 4, 5
      const current = await store.read(t, { snapshotId: snap.id, since: 3 })
      expect(current?.snapshot).toBeNull()
      expect(current?.updates.map((entry) => entry.seq)).toEqual([4, 5])
      const stale = await store.read(t, { snapshotId: new Uint8Array(32).fill(1), since: 5 })
      expect(stale?.snapshot?.id).toEqual(snap.id)
      expect(stale?.updates.map((entry) => entry.seq)).toEqual([3, 4, 5])
      const noSnapshotYet = await store.read(t, { snapshotId: null, since: 4 })
      expect(noSnapshotYet?.snapshot?.id).toEqual(snap.id)
      expect(noSnapshotYet?.updates.map((entry) => entry.seq)).toEqual([3, 4, 5])
    })

    it('[STORE-6] what a call acknowledged is there after reopening', async () => {
      const t = topic()
      const written = [update(), update()]
      for (const entry of written) await store.append(t, entry, BIG)
      await store.close()
      store = await harness.open()
      const read = await store.read(t, { snapshotId: null, since: 0 })
      expect(read?.updates.map((entry) => entry.bytes)).toEqual(written.map((entry) => entry.bytes))
      expect(await store.append(t, update(), BIG)).toEqual({ kind: 'stored', seq: 3 })
    })

    it('[STORE-5] concurrent appends to one document get distinct, dense sequence numbers', async () => {
      const t = topic()
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, () => store.append(t, update(), BIG)),
      )
      const seqs = outcomes.map((outcome) => (outcome.kind === 'stored' ? outcome.seq : -1))
      expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
    })

    it('[STORE-9] documents untouched since a date are dropped, others kept', async () => {
      const old = topic()
      await store.append(old, update(), BIG)
      const cutoff = new Date(Date.now() + 5)
      await new Promise((resolve) => setTimeout(resolve, 20))
      const recent = topic()
      await store.append(recent, update(), BIG)
      expect(await store.expire(cutoff)).toBe(1)
      expect(await store.read(old, { snapshotId: null, since: 0 })).toBeNull()
      expect((await store.read(recent, { snapshotId: null, since: 0 }))?.updates).toHaveLength(1)
    })

    it('[STORE-7] totals count documents, entries and bytes', async () => {
      const t = topic()
      await store.append(t, update(NO_PARENT, 10), BIG)
      await store.append(t, update(NO_PARENT, 30), BIG)
      expect(await store.totals()).toEqual({ documents: 1, entries: 2, bytes: 40 })
    })

    it('[MOVE-2] a tombstone ends the document: later appends and snapshots are refused as moved', async () => {
      const t = topic()
      await store.append(t, update(), BIG)
      await store.append(t, update(), BIG)
      expect(await store.tombstone(t, tombstone())).toEqual({ kind: 'stored', seq: 3, removed: 2 })
      expect(await store.append(t, update(), BIG)).toEqual({ kind: 'moved' })
      expect(await store.compact(t, snapshot(NO_PARENT, 3), BIG)).toEqual({ kind: 'moved' })
      expect((await store.read(t, { snapshotId: null, since: 0 }))?.head).toBe(3)
    })

    it('[MOVE-3] a tombstone drops every other entry in its commit and is all a read returns', async () => {
      const t = topic()
      await store.append(t, update(), BIG)
      const snap = snapshot(NO_PARENT, 1)
      await store.compact(t, snap, BIG) // 2
      await store.append(t, update(snap.id), BIG) // 3
      const tomb = tombstone(150)
      expect(await store.tombstone(t, tomb)).toEqual({ kind: 'stored', seq: 4, removed: 2 })
      // Whatever the reader says it holds, it gets the tombstone and nothing of the content.
      for (const have of [
        { snapshotId: null, since: 0 },
        { snapshotId: snap.id, since: 3 },
        { snapshotId: new Uint8Array(32).fill(9), since: 1 },
      ]) {
        const read = await store.read(t, have)
        expect(read?.head).toBe(4)
        expect(read?.snapshot).toBeNull()
        expect(read?.updates).toEqual([])
        expect(read?.tombstone).toEqual({ seq: 4, id: tomb.id, bytes: tomb.bytes })
      }
      expect(await store.totals()).toEqual({ documents: 1, entries: 1, bytes: 150 })
    })

    it('[MOVE-2] a second tombstone is a duplicate of the first, whatever its bytes', async () => {
      const t = topic()
      await store.append(t, update(), BIG)
      const first = tombstone()
      expect(await store.tombstone(t, first)).toMatchObject({ kind: 'stored', seq: 2 })
      expect(await store.tombstone(t, first)).toEqual({ kind: 'duplicate', seq: 2 })
      expect(await store.tombstone(t, tombstone())).toEqual({ kind: 'duplicate', seq: 2 })
      const read = await store.read(t, { snapshotId: null, since: 0 })
      expect(read?.tombstone?.bytes).toEqual(first.bytes)
      expect(read?.head).toBe(2)
    })

    it('[MOVE-2] a document that was never stored here can be ended, and stays ended', async () => {
      const t = topic()
      expect(await store.tombstone(t, tombstone())).toEqual({ kind: 'stored', seq: 1, removed: 0 })
      expect(await store.append(t, update(), BIG)).toEqual({ kind: 'moved' })
      expect(await store.read(t, { snapshotId: null, since: 0 })).toMatchObject({
        head: 1,
        snapshot: null,
        updates: [],
      })
      // Other documents are untouched.
      expect(await store.append(topic(), update(), BIG)).toEqual({ kind: 'stored', seq: 1 })
    })

    it('[MOVE-4] the tombstone is durable: after reopening it is served and writes are still refused', async () => {
      const t = topic()
      await store.append(t, update(), BIG)
      const tomb = tombstone()
      await store.tombstone(t, tomb)
      await store.close()
      store = await harness.open()
      const read = await store.read(t, { snapshotId: null, since: 0 })
      expect(read?.tombstone?.bytes).toEqual(tomb.bytes)
      expect(await store.append(t, update(), BIG)).toEqual({ kind: 'moved' })
      expect(await store.compact(t, snapshot(NO_PARENT, 0), BIG)).toEqual({ kind: 'moved' })
      expect(await store.tombstone(t, tombstone())).toEqual({ kind: 'duplicate', seq: 2 })
    })

    it('[MOVE-2] concurrent writes and a tombstone: every write either lands before it (and is dropped) or is refused', async () => {
      const t = topic()
      await store.append(t, update(), BIG)
      const outcomes = await Promise.all([
        ...Array.from({ length: 10 }, () => store.append(t, update(), BIG)),
        store.tombstone(t, tombstone()),
        ...Array.from({ length: 10 }, () => store.append(t, update(), BIG)),
      ])
      const ended = outcomes[10]
      expect(ended?.kind).toBe('stored')
      const seq = ended?.kind === 'stored' ? ended.seq : -1
      for (const outcome of outcomes) {
        if (outcome === ended) continue
        if (outcome.kind === 'stored') expect(outcome.seq).toBeLessThan(seq)
        else expect(outcome.kind).toBe('moved')
      }
      const read = await store.read(t, { snapshotId: null, since: 0 })
      expect(read).toMatchObject({ head: seq, snapshot: null, updates: [] })
    })
  })
}
