import type * as Y from 'yjs'

// The port between this browser's copy of a document and the engine that keeps it (rules LOCAL-1,
// SAVE-1..4, LINK-7), as automerge-repo's StorageAdapterInterface: what the open document
// (local.ts), a backup and an import may ask of storage, and nothing of IndexedDB itself. The
// engine is idb-store.ts; every engine runs test/contracts/doc-store.contract.ts.
//
// A store holds one document as a log of Yjs updates ("rows"). Readers merge rows into a Y.Doc,
// which is why the port hands over documents rather than bytes: a row that does not load is set
// aside whole (SAVE-3).

/** What one load or read found. */
export interface LoadReport {
  readonly rows: number
  /** Rows that were not Yjs updates: set aside by a load, skipped by a read. */
  readonly corrupt: number
  /** Bytes of the document's state as stored afterwards (of the rows read, for a read). */
  readonly bytes: number
}

/** What an open did; its rewrite or fold is still being written when it resolves. */
export interface OpenReport extends LoadReport {
  /**
   * Resolves once the open's rewrite or fold is committed (true), or was abandoned (false: the
   * rows stay as they were, so nothing is lost and the next open tries again). Never rejects.
   */
  readonly compacted: Promise<boolean>
}

export interface WriterHooks {
  /** Every update up to sequence number `seq` is in a committed transaction (SAVE-1). */
  durable(seq: number): void
  /** A write or compaction failed; the document in memory is intact. */
  failed(error: unknown): void
}

/** Writes one document's local updates as they happen. */
export interface DocWriter {
  /** Queues an update; returns its sequence number (from 1). Updates of one task are one row. */
  write(update: Uint8Array): number
  /**
   * Folds the recent rows into one at the cost of those rows, not of the document: the first row
   * (the state an open wrote) and large ones stay as they are (SAVE-2); rows others wrote
   * meanwhile are folded and read in too (SAVE-4).
   */
  compact(): Promise<void>
  /** Commits what is queued, then writes nothing more. */
  close(): void
}

/** One document's store, open. */
export interface DocStore {
  /**
   * Binds the store to one document address, given as a tag derived from it (LINK-7): the first
   * claim records the tag, and a later one with another tag is refused.
   */
  claim(tag: string): Promise<'claimed' | 'mismatch'>
  /**
   * Reads every row into `doc` (as `origin`); rewrites them as one, atomically, once the rows
   * after the first hold half as many bytes as it, or one did not load, and otherwise folds the
   * small ones after the first (SAVE-2..4). Resolves once the document holds the rows, before
   * the rewrite or fold is written (`compacted`); transactions opened later wait for it.
   */
  loadAndCompact(doc: Y.Doc, origin: unknown): Promise<OpenReport>
  /** Reads every row that loads into `doc` (as `origin`), writing nothing. */
  read(doc: Y.Doc, origin: unknown): Promise<LoadReport>
  /** Adds one update as a row; resolves once it is durable. */
  append(update: Uint8Array): Promise<void>
  /** How many rows the store holds. */
  count(): Promise<number>
  /** A writer that stores `doc`'s updates; `origin` marks what the store itself applies. */
  writer(doc: Y.Doc, origin: unknown, hooks: WriterHooks): DocWriter
  close(): void
}

/** The engine: stores by name, one per document. */
export interface DocStorage {
  open(name: string): Promise<DocStore>
  /** Deletes a store and everything in it; a name never opened is no error. */
  remove(name: string): Promise<void>
}
