import { mkdirSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
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

// The embedded storage engine (rule STORE-6): SQLite through better-sqlite3 12, one file
// `meshpad.sqlite` under DATA_DIR. Why SQLite: a transaction is the natural unit for "store the
// snapshot and drop what it supersedes" and for "check the parent, take the next sequence
// number, insert"; WAL with synchronous=FULL makes every commit durable before it returns (an
// fsync of the log), and SQLite's recovery after a crash is the most exercised of any embedded
// engine. better-sqlite3 is synchronous: one commit blocks this process for an fsync (about a
// millisecond on this machine's disk), which bench B8 reports.

interface DocRow {
  head: number
  snapshot_id: Buffer | null
  bytes: number
}

const UPDATE = 1
const SNAPSHOT = 2
/** A document's tombstone (MOVE-2): at most one, and once there the only entry left. */
const TOMBSTONE = 4

export class SqliteStore implements EntryStore {
  readonly kind = 'sqlite' as const
  private readonly db: Database.Database
  private readonly statements

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true })
    this.db = new Database(path.join(dataDir, 'meshpad.sqlite'))
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = FULL')
    this.db.pragma('foreign_keys = ON')
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS docs (
        topic TEXT PRIMARY KEY,
        head INTEGER NOT NULL,
        snapshot_id BLOB,
        bytes INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS entries (
        topic TEXT NOT NULL REFERENCES docs(topic) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        id BLOB NOT NULL,
        kind INTEGER NOT NULL,
        covers INTEGER NOT NULL,
        bytes BLOB NOT NULL,
        PRIMARY KEY (topic, seq)
      ) WITHOUT ROWID;
      CREATE UNIQUE INDEX IF NOT EXISTS entries_id ON entries (topic, id);
      CREATE INDEX IF NOT EXISTS docs_updated ON docs (updated_at);
      CREATE UNIQUE INDEX IF NOT EXISTS entries_tombstone ON entries (topic)
        WHERE kind = ${TOMBSTONE};
    `)
    const db = this.db
    this.statements = {
      doc: db.prepare<[string], DocRow>(
        'SELECT head, snapshot_id, bytes FROM docs WHERE topic = ?',
      ),
      newDoc: db.prepare<[string, number]>(
        'INSERT INTO docs (topic, head, snapshot_id, bytes, updated_at) VALUES (?, 0, NULL, 0, ?)',
      ),
      byId: db.prepare<[string, Buffer], { seq: number }>(
        'SELECT seq FROM entries WHERE topic = ? AND id = ?',
      ),
      insert: db.prepare<[string, number, Buffer, number, number, Buffer]>(
        'INSERT INTO entries (topic, seq, id, kind, covers, bytes) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      setDoc: db.prepare<[number, Buffer | null, number, number, string]>(
        'UPDATE docs SET head = ?, snapshot_id = ?, bytes = ?, updated_at = ? WHERE topic = ?',
      ),
      superseded: db.prepare<[string, number, number], { n: number; size: number | null }>(
        `SELECT count(*) AS n, sum(length(bytes)) AS size FROM entries
         WHERE topic = ? AND ((kind = ${UPDATE} AND seq <= ?) OR (kind = ${SNAPSHOT} AND seq < ?))`,
      ),
      dropSuperseded: db.prepare<[string, number, number]>(
        `DELETE FROM entries
         WHERE topic = ? AND ((kind = ${UPDATE} AND seq <= ?) OR (kind = ${SNAPSHOT} AND seq < ?))`,
      ),
      snapshot: db.prepare<[string], { seq: number; id: Buffer; covers: number; bytes: Buffer }>(
        `SELECT seq, id, covers, bytes FROM entries WHERE topic = ? AND kind = ${SNAPSHOT}
         ORDER BY seq DESC LIMIT 1`,
      ),
      updatesAfter: db.prepare<[string, number], { seq: number; id: Buffer; bytes: Buffer }>(
        `SELECT seq, id, bytes FROM entries WHERE topic = ? AND kind = ${UPDATE} AND seq > ?
         ORDER BY seq`,
      ),
      // Found through the partial index: every write asks it first.
      tombstone: db.prepare<[string], { seq: number; id: Buffer; bytes: Buffer }>(
        `SELECT seq, id, bytes FROM entries WHERE topic = ? AND kind = ${TOMBSTONE}`,
      ),
      count: db.prepare<[string], { n: number }>(
        'SELECT count(*) AS n FROM entries WHERE topic = ?',
      ),
      dropAll: db.prepare<[string]>('DELETE FROM entries WHERE topic = ?'),
      expire: db.prepare<[number]>('DELETE FROM docs WHERE updated_at < ?'),
      totals: db.prepare<[], { documents: number; entries: number; bytes: number | null }>(
        `SELECT (SELECT count(*) FROM docs) AS documents, (SELECT count(*) FROM entries) AS entries,
                (SELECT sum(bytes) FROM docs) AS bytes`,
      ),
    }
  }

  /** The document's row; a refused first write must leave no trace, so it is created lazily. */
  private docFor(topic: string): DocRow & { exists: boolean } {
    const existing = this.statements.doc.get(topic)
    if (existing) return { ...existing, exists: true }
    return { head: 0, snapshot_id: null, bytes: 0, exists: false }
  }

  private ensureDoc(topic: string, doc: { exists: boolean }): void {
    if (!doc.exists) this.statements.newDoc.run(topic, Date.now())
  }

  append(topic: string, update: NewUpdate, maxDocumentBytes: number): Promise<AppendOutcome> {
    const run = this.db.transaction((): AppendOutcome => {
      if (this.statements.tombstone.get(topic)) return { kind: 'moved' }
      const doc = this.docFor(topic)
      const id = Buffer.from(update.id)
      const duplicate = this.statements.byId.get(topic, id)
      if (duplicate) return { kind: 'duplicate', seq: duplicate.seq }
      if (!sameBytes(update.parent, doc.snapshot_id ?? NO_PARENT)) return { kind: 'stale-parent' }
      const bytes = doc.bytes + update.bytes.length
      if (bytes > maxDocumentBytes) return { kind: 'document-full', bytes: doc.bytes }
      const seq = doc.head + 1
      this.ensureDoc(topic, doc)
      this.statements.insert.run(topic, seq, id, UPDATE, 0, Buffer.from(update.bytes))
      this.statements.setDoc.run(seq, doc.snapshot_id, bytes, Date.now(), topic)
      return { kind: 'stored', seq }
    })
    return Promise.resolve(run.immediate())
  }

  compact(topic: string, snapshot: NewSnapshot, maxDocumentBytes: number): Promise<CompactOutcome> {
    const run = this.db.transaction((): CompactOutcome => {
      if (this.statements.tombstone.get(topic)) return { kind: 'moved' }
      const doc = this.docFor(topic)
      const id = Buffer.from(snapshot.id)
      const duplicate = this.statements.byId.get(topic, id)
      if (duplicate) return { kind: 'duplicate', seq: duplicate.seq }
      if (!sameBytes(snapshot.parent, doc.snapshot_id ?? NO_PARENT)) return { kind: 'stale-parent' }
      if (snapshot.covers > doc.head) return { kind: 'covers-ahead', head: doc.head }
      const seq = doc.head + 1
      const gone = this.statements.superseded.get(topic, snapshot.covers, seq)
      const removedBytes = gone?.size ?? 0
      const bytes = doc.bytes - removedBytes + snapshot.bytes.length
      if (bytes > maxDocumentBytes) return { kind: 'document-full', bytes: doc.bytes }
      this.ensureDoc(topic, doc)
      this.statements.insert.run(
        topic,
        seq,
        id,
        SNAPSHOT,
        snapshot.covers,
        Buffer.from(snapshot.bytes),
      )
      this.statements.dropSuperseded.run(topic, snapshot.covers, seq)
      this.statements.setDoc.run(seq, id, bytes, Date.now(), topic)
      return { kind: 'stored', seq, removed: gone?.n ?? 0 }
    })
    return Promise.resolve(run.immediate())
  }

  tombstone(topic: string, tombstone: NewTombstone): Promise<TombstoneOutcome> {
    const run = this.db.transaction((): TombstoneOutcome => {
      const existing = this.statements.tombstone.get(topic)
      if (existing) return { kind: 'duplicate', seq: existing.seq }
      const doc = this.docFor(topic)
      const seq = doc.head + 1
      const removed = this.statements.count.get(topic)?.n ?? 0
      this.ensureDoc(topic, doc)
      this.statements.dropAll.run(topic)
      // prettier-ignore
      this.statements.insert.run(topic, seq, Buffer.from(tombstone.id), TOMBSTONE, 0,
        Buffer.from(tombstone.bytes))
      this.statements.setDoc.run(seq, null, tombstone.bytes.length, Date.now(), topic)
      return { kind: 'stored', seq, removed }
    })
    return Promise.resolve(run.immediate())
  }

  read(
    topic: string,
    have: { readonly snapshotId: Uint8Array | null; readonly since: number },
  ): Promise<DocumentRead | null> {
    const run = this.db.transaction((): DocumentRead | null => {
      const doc = this.statements.doc.get(topic)
      if (!doc) return null
      const current = this.statements.snapshot.get(topic)
      const holdsCurrent =
        current !== undefined && have.snapshotId !== null && sameBytes(have.snapshotId, current.id)
      const holdsNothingNewer = current === undefined && have.snapshotId === null
      const since = holdsCurrent || holdsNothingNewer ? have.since : 0
      const updates = this.statements.updatesAfter.all(topic, since).map(toEntry)
      const snapshot =
        current === undefined || holdsCurrent
          ? null
          : { ...toEntry(current), covers: current.covers }
      const tombstone = this.statements.tombstone.get(topic)
      return { head: doc.head, snapshot, updates, tombstone: tombstone ? toEntry(tombstone) : null }
    })
    return Promise.resolve(run.deferred())
  }

  expire(before: Date): Promise<number> {
    return Promise.resolve(this.statements.expire.run(before.getTime()).changes)
  }

  totals(): Promise<StoreTotals> {
    const row = this.statements.totals.get()
    return Promise.resolve({
      documents: row?.documents ?? 0,
      entries: row?.entries ?? 0,
      bytes: row?.bytes ?? 0,
    })
  }

  close(): Promise<void> {
    this.db.close()
    return Promise.resolve()
  }
}

function toEntry(row: { seq: number; id: Buffer; bytes: Buffer }): StoredEntry {
  return { seq: row.seq, id: new Uint8Array(row.id), bytes: new Uint8Array(row.bytes) }
}
