import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PostgresStore } from '../../server/always-on/postgres-store'
import type { AppendOutcome, EntryStore, NewUpdate } from '../../server/always-on/store'
import { NO_PARENT, entryId } from '../../src/protocol/entry'
import { runEntryStoreContract } from '../contracts/entry-store.contract'
import { startPostgres, type PostgresProcess } from '../helpers/postgres'

// The PostgreSQL engine against a real PostgreSQL server (initdb'd into a temporary directory,
// fsync on). One server for the file; `fresh` drops the tables so that every test also goes
// through the schema creation of `PostgresStore.open`.
let server: PostgresProcess
beforeAll(async () => {
  server = await startPostgres()
})
afterAll(async () => {
  await server?.stop()
})

const opened: EntryStore[] = []

async function openStore(): Promise<PostgresStore> {
  const store = await PostgresStore.open(server.url)
  opened.push(store)
  return store
}

async function closeAll(): Promise<void> {
  await Promise.all(opened.splice(0).map((store) => store.close()))
}

async function dropTables(): Promise<void> {
  await closeAll() // close() is idempotent: a store the contract already closed is fine
  const admin = new pg.Client({ connectionString: server.url })
  await admin.connect()
  try {
    await admin.query('DROP TABLE IF EXISTS entries, docs')
  } finally {
    await admin.end()
  }
}

afterAll(closeAll)

runEntryStoreContract('postgres', { open: openStore, fresh: dropTables })

const BIG = 1 << 30

function update(parent: Uint8Array = NO_PARENT, size = 40): NewUpdate {
  const bytes = new Uint8Array(randomBytes(size))
  return { id: entryId(bytes), parent, bytes }
}

const topic = (): string => `mp2.${randomBytes(8).toString('hex')}`

const storedSeq = (outcome: AppendOutcome): number => (outcome.kind === 'stored' ? outcome.seq : -1)

describe('PostgresStore on a shared database', () => {
  it('[STORE-10] two instances share one store: concurrent appends get dense sequence numbers', async () => {
    await dropTables()
    const [a, b] = await Promise.all([openStore(), openStore()]) // two pools, as two instances
    const t = topic()
    const written = Array.from({ length: 200 }, () => update())
    const started = Date.now()
    const outcomes = await Promise.all(
      written.map((entry, i) => (i % 2 === 0 ? a : b).append(t, entry, BIG)),
    )
    const took = Date.now() - started
    const seqs = outcomes.map(storedSeq)
    expect([...seqs].sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))

    // Everything is readable from either instance, in sequence order, byte for byte.
    const bySeq = new Map(seqs.map((seq, i) => [seq, written[i]]))
    for (const reader of [a, b]) {
      const read = await reader.read(t, { snapshotId: null, since: 0 })
      expect(read?.head).toBe(200)
      expect(read?.updates.map((entry) => entry.seq)).toEqual(
        [...bySeq.keys()].sort((x, y) => x - y),
      )
      for (const entry of read?.updates ?? []) {
        expect(entry.id).toEqual(bySeq.get(entry.seq)?.id)
        expect(entry.bytes).toEqual(bySeq.get(entry.seq)?.bytes)
      }
    }
    expect(await a.totals()).toEqual({ documents: 1, entries: 200, bytes: 200 * 40 })
    // The same entry sent to both instances at once is stored once.
    const again = update()
    const twice = await Promise.all([a.append(t, again, BIG), b.append(t, again, BIG)])
    expect(twice).toEqual(
      expect.arrayContaining([
        { kind: 'stored', seq: 201 },
        { kind: 'duplicate', seq: 201 },
      ]),
    )
    console.log(`200 appends from two instances in ${took} ms`)
    await closeAll()
  })

  it('[STORE-6] every append acknowledged before a server crash is there after restart', async () => {
    await dropTables()
    const store = await openStore()
    const t = topic()
    const written = Array.from({ length: 150 }, () => update())
    let acknowledged = 0
    const crashed: Promise<void>[] = []
    const outcomes = await Promise.allSettled(
      written.map(async (entry) => {
        const outcome = await store.append(t, entry, BIG)
        acknowledged += 1
        if (acknowledged === 40) crashed.push(server.crash())
        return outcome
      }),
    )
    await Promise.all(crashed)
    const stored = new Map<number, NewUpdate>()
    outcomes.forEach((outcome, i) => {
      const entry = written[i]
      if (outcome.status === 'fulfilled' && entry !== undefined) {
        stored.set(storedSeq(outcome.value), entry)
      }
    })
    const failures = outcomes.filter((outcome) => outcome.status === 'rejected')
    expect(stored.size).toBeGreaterThanOrEqual(40)
    expect(failures.length).toBeGreaterThan(0) // the crash did interrupt calls
    const reason: unknown = failures[0]?.status === 'rejected' ? failures[0].reason : null
    expect(String(reason)).toMatch(/^Error: postgres store: append to mp2\.\w+ failed: /)

    await server.restart()
    await closeAll()
    const after = await openStore()
    const read = await after.read(t, { snapshotId: null, since: 0 })
    const seqs = read?.updates.map((entry) => entry.seq) ?? []
    // Dense from 1: a call that failed either committed whole or left nothing.
    expect(seqs).toEqual(Array.from({ length: read?.head ?? 0 }, (_, i) => i + 1))
    const present = new Map(read?.updates.map((entry) => [entry.seq, entry]))
    for (const [seq, entry] of stored) {
      expect(present.get(seq)?.bytes).toEqual(entry.bytes)
    }
    const head = read?.head ?? 0
    expect(await after.append(t, update(), BIG)).toEqual({ kind: 'stored', seq: head + 1 })
    await closeAll()
  })

  it('[MOVE-4] a database made by an earlier release gains the tombstone index when a store opens it', async () => {
    await dropTables()
    const admin = new pg.Client({ connectionString: server.url })
    await admin.connect()
    try {
      // The schema as it was before tombstones: no entries_tombstone index.
      await admin.query(`
        CREATE TABLE docs (topic TEXT PRIMARY KEY, head BIGINT NOT NULL, snapshot_id BYTEA,
                           bytes BIGINT NOT NULL, updated_at TIMESTAMPTZ NOT NULL);
        CREATE TABLE entries (topic TEXT NOT NULL REFERENCES docs (topic) ON DELETE CASCADE,
                              seq BIGINT NOT NULL, id BYTEA NOT NULL, kind SMALLINT NOT NULL,
                              covers BIGINT NOT NULL, bytes BYTEA NOT NULL,
                              PRIMARY KEY (topic, seq), CONSTRAINT entries_id UNIQUE (topic, id));
        CREATE INDEX docs_updated ON docs (updated_at);`)
      const t = topic()
      const store = await openStore()
      expect(await store.append(t, update(), BIG)).toEqual({ kind: 'stored', seq: 1 })
      const bytes = new Uint8Array(randomBytes(100))
      expect(await store.tombstone(t, { id: entryId(bytes), bytes })).toMatchObject({
        kind: 'stored',
        seq: 2,
      })
      expect(await store.append(t, update(), BIG)).toEqual({ kind: 'moved' })
      const index = await admin.query("SELECT to_regclass('entries_tombstone') IS NOT NULL AS ok")
      expect(index.rows[0]).toEqual({ ok: true })
    } finally {
      await admin.end()
      await closeAll()
    }
  })
})
