import * as idb from 'lib0/indexeddb'
import * as Y from 'yjs'
import type {
  DocStorage,
  DocStore,
  DocWriter,
  LoadReport,
  OpenReport,
  WriterHooks,
} from './local-port'

export type { LoadReport, OpenReport } from './local-port'

// A document's local copy in IndexedDB (rules SAVE-1..4, LOCAL-1). The database layout is
// y-indexeddb's (an auto-increment `updates` store of Yjs updates plus a `custom` store), so data
// stays readable by it, but the engine is ours because y-indexeddb cannot keep four promises:
// - it gives no signal that an update is durable (its issue #28): here a write resolves "durable"
//   only on the transaction's `complete` event;
// - it leaves its write transactions to auto-commit, and Chromium drops them when a tab closes
//   right after typing (measured here: 3 of 10 closes lost text); here every write calls
//   `commit()` in the same task as the keystroke;
// - it adds a full copy of the state on every open (its issue #31); here an open compacts
//   atomically, all rows into one once they have grown by half, else the small recent ones
//   into one (SAVE-2), so reopening never grows the store;
// - one corrupt row makes its load throw and the document never opens; here a row that does not
//   load is moved aside (kept, never deleted) and the rest loads.
// `indexedDbStorage` is this engine behind the local storage port (local-port.ts); the functions
// below are its parts, also used directly where a caller holds an IDBDatabase already.

const UPDATES = 'updates'
const CUSTOM = 'custom'
/** Compact once this many rows have been written since the last compaction. */
export const COMPACT_AFTER_ROWS = 200
/**
 * Rows from this size are left as they are by the writer's compaction: the state loaded at the
 * open (the whole document), a large paste, an earlier fold that grew large (SAVE-2).
 */
export const LARGE_ROW_BYTES = 64 * 1024
const QUARANTINE_PREFIX = 'quarantine:'

export async function openStore(name: string): Promise<IDBDatabase> {
  return idb.openDB(name, (db) =>
    idb.createStores(db, [[UPDATES, { autoIncrement: true }], [CUSTOM]]),
  )
}

/** Key in the `custom` store of the room tag that owns this store. */
const OWNER_KEY = 'meshpad:owner'

/**
 * Binds a store to one document address (rule LINK-7): the first open records `tag` (a hash of
 * id and secret); a later open with another tag is refused, so a link that reuses a known id
 * with another secret can never read this copy or merge into it.
 */
export async function claimStore(db: IDBDatabase, tag: string): Promise<'claimed' | 'mismatch'> {
  const [custom] = idb.transact(db, [CUSTOM], 'readwrite') as [IDBObjectStore]
  const owner: unknown = await idb.get(custom, OWNER_KEY)
  if (owner === undefined) {
    await idb.put(custom, tag, OWNER_KEY)
    return 'claimed'
  }
  return owner === tag ? 'claimed' : 'mismatch'
}

export async function deleteStore(name: string): Promise<void> {
  await idb.deleteDB(name)
}

function asBytes(value: unknown): Uint8Array | null {
  if (value instanceof Uint8Array) return value
  if (value instanceof ArrayBuffer) return new Uint8Array(value)
  return null
}

/**
 * Reads every row into `doc` (origin `origin`) and, when it is worth it, rewrites them as one
 * row, in one readwrite transaction so that no other tab's write can fall between the read and
 * the delete; otherwise folds the small rows after the first, as the writer does. Rows that do
 * not load go to the `custom` store under `quarantine:<key>`. Resolves once `doc` holds the
 * rows, before the rewrite or fold is written (`compacted`).
 *
 * Worth it (SAVE-2): the rows after the first hold at least half as many bytes as the first (the
 * state the last rewrite wrote), or one did not load. A rewrite costs the whole document
 * (encoding the state and writing it added 0.15–0.7 s to a 0.9 s open at x20, a book of 2
 * million characters), so an open after some editing reads the rows as they are; the store
 * stays under ~1.5 times the state plus the writer's fold, and the rewrite is paid once per half
 * a document of edits, as the always-on peer's snapshots are.
 */
export async function loadAndCompact(
  db: IDBDatabase,
  doc: Y.Doc,
  origin: unknown,
): Promise<OpenReport> {
  const [updates, custom] = idb.transact(db, [UPDATES, CUSTOM], 'readwrite') as [
    IDBObjectStore,
    IDBObjectStore,
  ]
  const rows = await idb.getAllKeysValues(updates)
  let corrupt = 0
  let bytes = 0
  let firstBytes = 0
  let lastKey: IDBValidKey | null = null
  Y.transact(
    doc,
    () => {
      for (const { k, v } of rows) {
        lastKey = k as IDBValidKey
        const applied = applyRow(doc, v, origin)
        if (applied !== null) {
          if (bytes === 0) firstBytes = applied
          bytes += applied
        } else {
          corrupt += 1
          void idb.put(custom, v as never, `${QUARANTINE_PREFIX}${JSON.stringify(k)}`)
        }
      }
    },
    origin,
  )
  const worthIt = corrupt > 0 || (rows.length > 1 && 2 * (bytes - firstBytes) >= firstBytes)
  if (lastKey !== null && worthIt) {
    const state = Y.encodeStateAsUpdate(doc)
    updates.add(state)
    updates.delete(idb.createIDBKeyRangeUpperBound(lastKey, false))
    bytes = state.byteLength
  } else {
    // Not worth a rewrite, but many short sessions leave many small rows: they are folded, as
    // the writer does (already read and applied; all of them loaded, or this was a rewrite).
    const recent = recentOf(rows.slice(1))
    if (recent.length > 1) {
      const merged = Y.mergeUpdates(recent.map(({ v }) => asBytes(v) as Uint8Array))
      replaceRows(updates, recent, merged)
      bytes +=
        merged.byteLength - recent.reduce((sum, { v }) => sum + (asBytes(v)?.byteLength ?? 0), 0)
    }
  }
  // The document is complete now: the caller need not wait for the writes (a round trip to
  // IndexedDB and a task boundary between the load and the editor's mount, issue 12). They are
  // requests of this transaction, so they commit or abort together, and any transaction opened
  // later on this store (the writer's) waits for this one.
  return { rows: rows.length, corrupt, bytes, compacted: settled(updates.transaction) }
}

/**
 * Whether `tx` committed; an abort leaves the rows as they were, so nothing is lost. (A failed
 * request aborts its transaction unless handled, so 'abort' covers it too.)
 */
function settled(tx: IDBTransaction): Promise<boolean> {
  return new Promise((resolve) => {
    tx.addEventListener('complete', () => resolve(true))
    tx.addEventListener('abort', () => resolve(false))
  })
}

/**
 * Writes local updates. Updates of one task are merged into one row; the transaction is
 * committed explicitly in that same task so a tab closed right after typing keeps it.
 */
export class UpdateWriter implements DocWriter {
  private pending: Uint8Array[] = []
  private scheduled = false
  private seq = 0
  private rowsSinceCompaction = 0
  private compacting: Promise<void> | null = null
  private closed = false

  constructor(
    private readonly db: IDBDatabase,
    private readonly doc: Y.Doc,
    private readonly origin: unknown,
    private readonly hooks: WriterHooks,
  ) {}

  /** Queues an update; returns its sequence number. */
  write(update: Uint8Array): number {
    this.pending.push(update)
    this.seq += 1
    if (!this.scheduled) {
      this.scheduled = true
      queueMicrotask(this.flush)
    }
    return this.seq
  }

  readonly flush = (): void => {
    this.scheduled = false
    if (this.closed || this.pending.length === 0) return
    const batch = this.pending
    this.pending = []
    const target = this.seq
    try {
      const tx = this.db.transaction([UPDATES], 'readwrite')
      tx.objectStore(UPDATES).add(batch.length === 1 ? batch[0] : Y.mergeUpdates(batch))
      tx.oncomplete = () => this.hooks.durable(target)
      tx.onabort = () => this.hooks.failed(tx.error ?? new Error('IndexedDB write aborted'))
      tx.commit()
    } catch (error) {
      this.hooks.failed(error)
      return
    }
    this.rowsSinceCompaction += 1
    if (this.rowsSinceCompaction >= COMPACT_AFTER_ROWS) void this.compact()
  }

  /** Folds the rows written since the last large one into one (`foldRecentRows`). */
  compact(): Promise<void> {
    if (this.compacting) return this.compacting
    this.rowsSinceCompaction = 0
    this.compacting = foldRecentRows(this.db, this.doc, this.origin)
      .then(() => undefined)
      .catch((error: unknown) => this.hooks.failed(error))
      .finally(() => (this.compacting = null))
    return this.compacting
  }

  close(): void {
    this.flush()
    this.closed = true
  }
}

/**
 * The writer's compaction (SAVE-2, SAVE-4): the rows after the last large one are merged into
 * one row (`Y.mergeUpdates`), in one readwrite transaction, and the merge is applied to `doc`
 * (origin `origin`) so that rows another tab wrote reach this document too. Why not rewrite the
 * whole state, as the open does: that meant applying every row to the document again, the first
 * one the whole document (~270 ms of the page's main thread at x20, a 2-million-character book,
 * every 200 keystrokes, issue 12). Merging the recent rows costs what they hold; the large rows
 * stay until the next open compacts everything. Rows that do not parse are set aside (SAVE-3).
 */
export async function foldRecentRows(
  db: IDBDatabase,
  doc: Y.Doc,
  origin: unknown,
): Promise<{ readonly folded: number; readonly corrupt: number }> {
  const [updates, custom] = idb.transact(db, [UPDATES, CUSTOM], 'readwrite') as [
    IDBObjectStore,
    IDBObjectStore,
  ]
  const first: unknown = await idb.getFirstKey(updates)
  if (first === undefined || first === null) return { folded: 0, corrupt: 0 }
  // The first row is usually the whole document: never read, let alone parsed.
  const recent = recentOf(
    await idb.getAllKeysValues(updates, idb.createIDBKeyRangeLowerBound(first, true)),
  )
  if (recent.length < 2) return { folded: 0, corrupt: 0 }
  const valid: Uint8Array[] = []
  let corrupt = 0
  for (const { k, v } of recent) {
    const update = asBytes(v)
    if (update !== null && parses(update)) valid.push(update)
    else {
      corrupt += 1
      void idb.put(custom, v as never, `${QUARANTINE_PREFIX}${JSON.stringify(k)}`)
    }
  }
  const merged = valid.length > 0 ? Y.mergeUpdates(valid) : null
  if (merged !== null) Y.applyUpdate(doc, merged, origin)
  await idb.rtop(replaceRows(updates, recent, merged))
  return { folded: recent.length, corrupt }
}

interface Row {
  readonly k: unknown
  readonly v: unknown
}

/** Of the rows after the first, those after the last large one: what a fold merges. */
function recentOf<T extends Row>(afterFirst: readonly T[]): T[] {
  let from = 0
  afterFirst.forEach(({ v }, index) => {
    if ((asBytes(v)?.byteLength ?? 0) >= LARGE_ROW_BYTES) from = index + 1
  })
  return afterFirst.slice(from)
}

/**
 * Replaces `rows` (consecutive keys, in order) by `merged`, or by nothing; returns the last
 * request (requests of a transaction run in order), for a caller that waits for it.
 */
function replaceRows(
  updates: IDBObjectStore,
  rows: readonly Row[],
  merged: Uint8Array | null,
): IDBRequest {
  if (merged !== null) updates.add(merged)
  const low = (rows[0] as Row).k as IDBValidKey
  const high = (rows[rows.length - 1] as Row).k as IDBValidKey
  return updates.delete(idb.createIDBKeyRangeBound(low, high, false, false))
}

function parses(update: Uint8Array): boolean {
  try {
    Y.decodeUpdate(update)
    return true
  } catch {
    return false
  }
}

/**
 * Applies one stored row to `doc`; returns its size, or null when it is not a Yjs update (the
 * caller sets it aside, SAVE-3).
 *
 * Not parsed first: a full parse (`Y.decodeUpdate`) of a book's row cost 130-180 ms of every open
 * at x20 (issue 12), and it never kept a malformed row from half-applying anyway. Yjs reads all
 * of a row's structs before it integrates any, so a row whose structs do not decode changes
 * nothing; a row that decodes but fails later (in its deletions, or integrating) can leave part
 * of itself in the document, with or without the parse (measured on 3,982 truncations and byte
 * flips of one update: 40 passed the parse and half-applied, 148 half-applied without it). What
 * is left is what the row's readable part held, merged as any CRDT update is; the row itself is
 * kept whole, and peers' copies complete the document (RECOVER-1).
 */
function applyRow(doc: Y.Doc, row: unknown, origin: unknown): number | null {
  const update = asBytes(row)
  if (update === null) return null
  try {
    Y.applyUpdate(doc, update, origin)
    return update.byteLength
  } catch {
    return null
  }
}

/**
 * Reads every row that loads into `doc` (origin `origin`) without writing anything: a backup
 * reads a document this way, and may do so while a tab has it open.
 */
export async function readRows(db: IDBDatabase, doc: Y.Doc, origin: unknown): Promise<LoadReport> {
  const [updates] = idb.transact(db, [UPDATES], 'readonly') as [IDBObjectStore]
  const rows = await idb.getAll(updates)
  let corrupt = 0
  let bytes = 0
  Y.transact(
    doc,
    () => {
      for (const row of rows) {
        const applied = applyRow(doc, row, origin)
        if (applied !== null) bytes += applied
        else corrupt += 1
      }
    },
    origin,
  )
  return { rows: rows.length, corrupt, bytes }
}

/** Adds one update as a row; resolves once its transaction has committed. */
export async function appendRow(db: IDBDatabase, update: Uint8Array): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction([UPDATES], 'readwrite')
    tx.objectStore(UPDATES).add(update)
    tx.oncomplete = () => resolve()
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB write aborted'))
    tx.commit()
  })
}

/** How many rows the store holds. */
export async function countRows(db: IDBDatabase): Promise<number> {
  const [updates] = idb.transact(db, [UPDATES], 'readonly') as [IDBObjectStore]
  return idb.count(updates)
}

/** One document's IndexedDB database behind the port. */
class IdbDocStore implements DocStore {
  constructor(private readonly db: IDBDatabase) {}

  claim(tag: string): Promise<'claimed' | 'mismatch'> {
    return claimStore(this.db, tag)
  }

  loadAndCompact(doc: Y.Doc, origin: unknown): Promise<OpenReport> {
    return loadAndCompact(this.db, doc, origin)
  }

  read(doc: Y.Doc, origin: unknown): Promise<LoadReport> {
    return readRows(this.db, doc, origin)
  }

  append(update: Uint8Array): Promise<void> {
    return appendRow(this.db, update)
  }

  count(): Promise<number> {
    return countRows(this.db)
  }

  writer(doc: Y.Doc, origin: unknown, hooks: WriterHooks): DocWriter {
    return new UpdateWriter(this.db, doc, origin, hooks)
  }

  close(): void {
    this.db.close()
  }
}

/** The browser's IndexedDB as the local storage engine; one database per document. */
export const indexedDbStorage: DocStorage = {
  open: async (name) => new IdbDocStore(await openStore(name)),
  remove: deleteStore,
}
