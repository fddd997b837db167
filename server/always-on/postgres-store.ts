import pg from 'pg'
import { NO_PARENT, sameBytes } from '../../src/protocol/entry'
import type {
  AppendOutcome,
  CompactOutcome,
  DocumentRead,
  EntryStore,
  NewSnapshot,
  NewTombstone,
  NewUpdate,
  StoredEntry,
  StoreTotals,
  TombstoneOutcome,
} from './store'

// The shared storage engine (rule STORE-6 with many instances): PostgreSQL through `pg`, for when
// several server instances serve the same documents (DATABASE_URL). Same tables as the SQLite
// engine. Every append or compact is one READ COMMITTED transaction that first locks the
// document's row (INSERT ... ON CONFLICT DO NOTHING, then SELECT ... FOR UPDATE): writers of one
// document, in this process or any other instance, queue on that lock, so the parent check, the
// duplicate check and "head + 1" see every earlier commit and sequence numbers stay dense. A call
// resolves after COMMIT returns; the connections ask for synchronous_commit=on whatever the
// server's default, so COMMIT returns only once the commit record is flushed to the WAL. A call
// that stores nothing (duplicate, stale parent, full, covers ahead) rolls back: it neither creates
// the document's row nor waits for a flush.

interface DocRow {
  head: number
  snapshot_id: Buffer | null
  bytes: number
}

const UPDATE = 1
const SNAPSHOT = 2
/** A document's tombstone (MOVE-2): at most one, and once there the only entry left. */
const TOMBSTONE = 4
const POOL_SIZE = 10
/** Key of the advisory lock that serialises schema creation between instances starting at once. */
const MIGRATION_LOCK = 0x6d65736870616431n // 'meshpad1'

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS docs (
    topic TEXT PRIMARY KEY,
    head BIGINT NOT NULL,
    snapshot_id BYTEA,
    bytes BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
  );
  CREATE TABLE IF NOT EXISTS entries (
    topic TEXT NOT NULL REFERENCES docs (topic) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    id BYTEA NOT NULL,
    kind SMALLINT NOT NULL,
    covers BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (topic, seq),
    CONSTRAINT entries_id UNIQUE (topic, id)
  );
  CREATE INDEX IF NOT EXISTS docs_updated ON docs (updated_at);
  CREATE UNIQUE INDEX IF NOT EXISTS entries_tombstone ON entries (topic) WHERE kind = ${TOMBSTONE};
`

// A database made by an earlier release lacks entries_tombstone: the whole (idempotent) schema
// runs again and adds it.
const SCHEMA_PRESENT = `SELECT to_regclass('docs') IS NOT NULL AND to_regclass('entries') IS NOT NULL
                               AND to_regclass('docs_updated') IS NOT NULL
                               AND to_regclass('entries_tombstone') IS NOT NULL AS present`

const SQL = {
  newDoc: `INSERT INTO docs (topic, head, snapshot_id, bytes, updated_at) VALUES ($1, 0, NULL, 0, $2)
           ON CONFLICT (topic) DO NOTHING`,
  lockDoc: 'SELECT head, snapshot_id, bytes FROM docs WHERE topic = $1 FOR UPDATE',
  byId: 'SELECT seq FROM entries WHERE topic = $1 AND id = $2',
  insert:
    'INSERT INTO entries (topic, seq, id, kind, covers, bytes) VALUES ($1, $2, $3, $4, $5, $6)',
  setDoc:
    'UPDATE docs SET head = $1, snapshot_id = $2, bytes = $3, updated_at = $4 WHERE topic = $5',
  superseded: `SELECT count(*) AS n, coalesce(sum(octet_length(bytes)), 0)::bigint AS size
               FROM entries
               WHERE topic = $1 AND ((kind = ${UPDATE} AND seq <= $2) OR (kind = ${SNAPSHOT} AND seq < $3))`,
  dropSuperseded: `DELETE FROM entries
                   WHERE topic = $1 AND ((kind = ${UPDATE} AND seq <= $2) OR (kind = ${SNAPSHOT} AND seq < $3))`,
  // The current snapshot is the entry whose id the document row names; its bytes only when the
  // reader does not already hold it.
  docAndSnapshot: `SELECT d.head, e.seq, e.id, e.covers,
                          CASE WHEN d.snapshot_id = $2 THEN NULL ELSE e.bytes END AS bytes
                   FROM docs d LEFT JOIN entries e ON e.topic = d.topic AND e.id = d.snapshot_id
                   WHERE d.topic = $1`,
  updatesAfter: `SELECT seq, id, bytes FROM entries WHERE topic = $1 AND kind = ${UPDATE} AND seq > $2
                 ORDER BY seq`,
  // Found through the partial index: every write asks it first, under the document's row lock.
  tombstone: `SELECT seq, id, bytes FROM entries WHERE topic = $1 AND kind = ${TOMBSTONE}`,
  count: 'SELECT count(*) AS n FROM entries WHERE topic = $1',
  dropAll: 'DELETE FROM entries WHERE topic = $1',
  expire: 'DELETE FROM docs WHERE updated_at < $1',
  totals: `SELECT (SELECT count(*) FROM docs) AS documents, (SELECT count(*) FROM entries) AS entries,
                  (SELECT coalesce(sum(bytes), 0)::bigint FROM docs) AS bytes`,
} as const

/** BIGINT and COUNT come back as JavaScript numbers (exact up to 2^53) instead of strings. */
function typeParsers(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides()
  types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value))
  return types
}

type Finish<T> = { readonly result: T; readonly commit: boolean }

export interface PostgresStoreOptions {
  /** Connections in this instance's pool (default 10). */
  readonly poolSize?: number
}

export class PostgresStore implements EntryStore {
  readonly kind = 'postgres' as const
  private closed: Promise<void> | null = null

  private constructor(private readonly pool: pg.Pool) {}

  /** Connects to DATABASE_URL and creates the tables when they are absent. */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? POOL_SIZE,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
      // Durable on COMMIT even if the server's default says otherwise.
      options: '-c synchronous_commit=on',
      types: typeParsers(),
      application_name: 'meshpad-always-on',
    })
    // A connection that dies while idle in the pool (server restart, admin termination) is
    // dropped by the pool; without a listener the 'error' event would end the process. The next
    // call opens a new connection or fails with its own error.
    pool.on('error', () => {})
    const store = new PostgresStore(pool)
    try {
      await store.transaction('create the schema', async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK.toString()])
        // Only when something is missing: a role without CREATE on the schema can use tables
        // that an administrator made.
        const present = await client.query<{ present: boolean }>(SCHEMA_PRESENT)
        if (present.rows[0]?.present !== true) await client.query(SCHEMA)
        return { result: undefined, commit: true }
      })
    } catch (error) {
      await pool.end().catch(() => {})
      throw error
    }
    return store
  }

  append(topic: string, update: NewUpdate, maxDocumentBytes: number): Promise<AppendOutcome> {
    return this.transaction(
      `append to ${topic}`,
      async (client): Promise<Finish<AppendOutcome>> => {
        const now = new Date()
        const doc = await lockDoc(client, topic, now)
        if (await tombstoneOf(client, topic)) return refuse({ kind: 'moved' })
        const id = Buffer.from(update.id)
        const duplicate = await client.query<{ seq: number }>(SQL.byId, [topic, id])
        const first = duplicate.rows[0]
        if (first) return refuse({ kind: 'duplicate', seq: first.seq })
        if (!sameBytes(update.parent, doc.snapshot_id ?? NO_PARENT)) {
          return refuse({ kind: 'stale-parent' })
        }
        const bytes = doc.bytes + update.bytes.length
        if (bytes > maxDocumentBytes) return refuse({ kind: 'document-full', bytes: doc.bytes })
        const seq = doc.head + 1
        await client.query(SQL.insert, [topic, seq, id, UPDATE, 0, Buffer.from(update.bytes)])
        await client.query(SQL.setDoc, [seq, doc.snapshot_id, bytes, now, topic])
        return { result: { kind: 'stored', seq }, commit: true }
      },
    )
  }

  compact(topic: string, snapshot: NewSnapshot, maxDocumentBytes: number): Promise<CompactOutcome> {
    return this.transaction(`compact ${topic}`, async (client): Promise<Finish<CompactOutcome>> => {
      const now = new Date()
      const doc = await lockDoc(client, topic, now)
      if (await tombstoneOf(client, topic)) return refuse({ kind: 'moved' })
      const id = Buffer.from(snapshot.id)
      const duplicate = await client.query<{ seq: number }>(SQL.byId, [topic, id])
      const first = duplicate.rows[0]
      if (first) return refuse({ kind: 'duplicate', seq: first.seq })
      if (!sameBytes(snapshot.parent, doc.snapshot_id ?? NO_PARENT)) {
        return refuse({ kind: 'stale-parent' })
      }
      if (snapshot.covers > doc.head) return refuse({ kind: 'covers-ahead', head: doc.head })
      const seq = doc.head + 1
      const gone = await client.query<{ n: number; size: number }>(SQL.superseded, [
        topic,
        snapshot.covers,
        seq,
      ])
      const removed = gone.rows[0] ?? { n: 0, size: 0 }
      const bytes = doc.bytes - removed.size + snapshot.bytes.length
      if (bytes > maxDocumentBytes) return refuse({ kind: 'document-full', bytes: doc.bytes })
      // prettier-ignore
      await client.query(SQL.insert,
          [topic, seq, id, SNAPSHOT, snapshot.covers, Buffer.from(snapshot.bytes)])
      await client.query(SQL.dropSuperseded, [topic, snapshot.covers, seq])
      await client.query(SQL.setDoc, [seq, id, bytes, now, topic])
      return { result: { kind: 'stored', seq, removed: removed.n }, commit: true }
    })
  }

  tombstone(topic: string, tombstone: NewTombstone): Promise<TombstoneOutcome> {
    return this.transaction(`end ${topic}`, async (client): Promise<Finish<TombstoneOutcome>> => {
      const now = new Date()
      // The row lock queues this behind every write in flight, here or on another instance: a
      // write that commits first is dropped with the rest, one that comes after answers moved.
      const doc = await lockDoc(client, topic, now)
      const existing = await tombstoneOf(client, topic)
      if (existing) return refuse({ kind: 'duplicate', seq: existing.seq })
      const seq = doc.head + 1
      const count = await client.query<{ n: number }>(SQL.count, [topic])
      await client.query(SQL.dropAll, [topic])
      // prettier-ignore
      await client.query(SQL.insert,
          [topic, seq, Buffer.from(tombstone.id), TOMBSTONE, 0, Buffer.from(tombstone.bytes)])
      await client.query(SQL.setDoc, [seq, null, tombstone.bytes.length, now, topic])
      return { result: { kind: 'stored', seq, removed: count.rows[0]?.n ?? 0 }, commit: true }
    })
  }

  read(
    topic: string,
    have: { readonly snapshotId: Uint8Array | null; readonly since: number },
  ): Promise<DocumentRead | null> {
    // REPEATABLE READ: the document row, its snapshot and its updates from one moment, even while
    // another instance compacts the document.
    const mode = 'ISOLATION LEVEL REPEATABLE READ READ ONLY'
    return this.transaction(
      `read ${topic}`,
      async (client): Promise<Finish<DocumentRead | null>> => {
        const held = have.snapshotId === null ? null : Buffer.from(have.snapshotId)
        const found = await client.query<{
          head: number
          seq: number | null
          id: Buffer | null
          covers: number | null
          bytes: Buffer | null
        }>(SQL.docAndSnapshot, [topic, held])
        const doc = found.rows[0]
        if (!doc) return { result: null, commit: false }
        const hasSnapshot = doc.seq !== null && doc.id !== null && doc.covers !== null
        const holdsCurrent = hasSnapshot && doc.bytes === null
        const holdsNothingNewer = !hasSnapshot && have.snapshotId === null
        const since = holdsCurrent || holdsNothingNewer ? have.since : 0
        const updates = await client.query<{ seq: number; id: Buffer; bytes: Buffer }>(
          SQL.updatesAfter,
          [topic, since],
        )
        const snapshot =
          doc.seq === null || doc.id === null || doc.covers === null || doc.bytes === null
            ? null
            : { ...toEntry({ seq: doc.seq, id: doc.id, bytes: doc.bytes }), covers: doc.covers }
        const tombstone = await tombstoneOf(client, topic)
        const result = {
          head: doc.head,
          snapshot,
          updates: updates.rows.map(toEntry),
          tombstone: tombstone ? toEntry(tombstone) : null,
        }
        return { result, commit: false }
      },
      mode,
    )
  }

  async expire(before: Date): Promise<number> {
    const result = await this.query('expire documents', SQL.expire, [before])
    return result.rowCount ?? 0
  }

  async totals(): Promise<StoreTotals> {
    const result = await this.query<{ documents: number; entries: number; bytes: number }>(
      'count totals',
      SQL.totals,
      [],
    )
    const row = result.rows[0]
    return { documents: row?.documents ?? 0, entries: row?.entries ?? 0, bytes: row?.bytes ?? 0 }
  }

  /** Waits for calls in flight, then closes every connection. Safe to call more than once. */
  close(): Promise<void> {
    this.closed ??= this.pool.end()
    return this.closed
  }

  private async query<R extends pg.QueryResultRow>(
    what: string,
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(text, values)
    } catch (error) {
      throw storeError(what, error, false)
    }
  }

  /**
   * Runs `body` in one transaction on one pooled connection: COMMIT when it asks to (the call
   * resolves after COMMIT returns), else ROLLBACK. On any error: ROLLBACK, and the connection goes
   * back to the pool, or is destroyed when it is broken; never leaked.
   */
  private async transaction<T>(
    what: string,
    body: (client: pg.PoolClient) => Promise<Finish<T>>,
    mode = '',
  ): Promise<T> {
    let client: pg.PoolClient
    try {
      client = await this.pool.connect()
    } catch (error) {
      throw storeError(what, error, false)
    }
    // The connection can die between two queries: pg then emits 'error' on the client, which
    // would end the process without a listener. The failing query rejects too, so only remember
    // that this connection must not go back to the pool.
    let broken: Error | undefined
    const onError = (error: Error): void => {
      broken = error
    }
    client.on('error', onError)
    let committing = false
    try {
      await client.query(mode === '' ? 'BEGIN' : `BEGIN ${mode}`)
      const { result, commit } = await body(client)
      committing = commit
      await client.query(commit ? 'COMMIT' : 'ROLLBACK')
      return result
    } catch (error) {
      if (broken === undefined) {
        try {
          await client.query('ROLLBACK')
        } catch (rollbackError) {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError))
        }
      }
      throw storeError(what, error, committing)
    } finally {
      client.off('error', onError)
      client.release(broken)
    }
  }
}

async function lockDoc(client: pg.PoolClient, topic: string, now: Date): Promise<DocRow> {
  // The row may be expired by another instance between the two statements: then insert again.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    await client.query(SQL.newDoc, [topic, now])
    const locked = await client.query<DocRow>(SQL.lockDoc, [topic])
    const doc = locked.rows[0]
    if (doc) return doc
  }
  throw new Error(`the row of document ${topic} vanished three times while being locked`)
}

async function tombstoneOf(
  client: pg.PoolClient,
  topic: string,
): Promise<{ seq: number; id: Buffer; bytes: Buffer } | undefined> {
  const found = await client.query<{ seq: number; id: Buffer; bytes: Buffer }>(SQL.tombstone, [
    topic,
  ])
  return found.rows[0]
}

function refuse<T>(result: T): Finish<T> {
  return { result, commit: false }
}

function toEntry(row: { seq: number; id: Buffer; bytes: Buffer }): StoredEntry {
  return { seq: row.seq, id: new Uint8Array(row.id), bytes: new Uint8Array(row.bytes) }
}

function storeError(what: string, error: unknown, committing: boolean): Error {
  const message = error instanceof Error ? error.message : String(error)
  const field = (name: string): string | null => {
    const value: unknown = error instanceof Error ? Reflect.get(error, name) : undefined
    return typeof value === 'string' && value !== '' ? value : null
  }
  const code = field('code')
  const detail = field('detail')
  const extra = (code === null ? '' : ` [${code}]`) + (detail === null ? '' : ` ${detail}`)
  const outcome = committing
    ? ' (during COMMIT: the write may or may not be stored; retrying it is safe, a stored entry ' +
      'answers duplicate)'
    : ''
  return new Error(`postgres store: ${what} failed: ${message}${extra}${outcome}`, {
    cause: error,
  })
}
