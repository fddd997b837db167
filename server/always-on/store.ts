// The always-on peer's storage port (rules STORE-5..8): what a storage engine must do to keep
// documents' signed entries, in the style of automerge-repo's StorageAdapterInterface. Adapters:
// sqlite-store.ts (embedded, the default) and postgres-store.ts (shared by many instances). Both
// pass one contract suite (test/contracts/entry-store.contract.ts).
//
// Contract, for every adapter:
// - Sequence numbers are per document, dense and increasing: the n-th stored entry of a document
//   gets n (snapshots included). A failed call consumes none.
// - `append` stores an update whose parent is the document's current snapshot id (or NO_PARENT
//   when it has none), else answers `stale-parent`; an entry with an id already stored answers
//   `duplicate` with its sequence number and stores nothing.
// - `compact` stores a snapshot whose parent is the current snapshot id and whose `covers` is at
//   most the head, and in the same atomic commit drops the previous snapshot and every update with
//   a sequence number <= covers. Until that commit is durable nothing is dropped.
// - A call resolves only once what it stored is durable (fsync'd or committed); a crash at any
//   point loses no call that resolved and leaves every other entry intact.
// - `read` returns the current snapshot unless the caller holds it, and every update after
//   `since` (all updates when the caller does not hold the current snapshot).
// - `tombstone` (rules MOVE-2..4) ends a document: in one atomic commit it stores the tombstone
//   under the next sequence number and drops every other entry of the document (so the tombstone
//   is all that is left, and `bytes` is its size). From then on `append` and `compact` answer
//   `moved` and store nothing; a second tombstone (same bytes or not) answers `duplicate` with
//   the first one's sequence number. A tombstone may be the first entry of a document. `read`
//   returns it beside the (then empty) snapshot and updates, whatever the caller holds.
// - Nothing here checks signatures or sizes of entries: the hub does, before calling.

export interface StoredEntry {
  readonly seq: number
  readonly id: Uint8Array
  readonly bytes: Uint8Array
}

export interface StoredSnapshot extends StoredEntry {
  readonly covers: number
}

export interface DocumentRead {
  readonly head: number
  /** Null when the document has no snapshot, or when the caller said it holds the current one. */
  readonly snapshot: StoredSnapshot | null
  readonly updates: readonly StoredEntry[]
  /** The document moved (MOVE-3): its tombstone, always returned; else null. */
  readonly tombstone: StoredEntry | null
}

export interface NewUpdate {
  readonly id: Uint8Array
  readonly parent: Uint8Array
  readonly bytes: Uint8Array
}

export interface NewSnapshot extends NewUpdate {
  readonly covers: number
}

export interface NewTombstone {
  readonly id: Uint8Array
  readonly bytes: Uint8Array
}

export type AppendOutcome =
  | { readonly kind: 'stored'; readonly seq: number }
  | { readonly kind: 'duplicate'; readonly seq: number }
  | { readonly kind: 'stale-parent' }
  | { readonly kind: 'document-full'; readonly bytes: number }
  | { readonly kind: 'moved' }

export type CompactOutcome =
  | { readonly kind: 'stored'; readonly seq: number; readonly removed: number }
  | { readonly kind: 'duplicate'; readonly seq: number }
  | { readonly kind: 'stale-parent' }
  | { readonly kind: 'covers-ahead'; readonly head: number }
  | { readonly kind: 'document-full'; readonly bytes: number }
  | { readonly kind: 'moved' }

export type TombstoneOutcome =
  | { readonly kind: 'stored'; readonly seq: number; readonly removed: number }
  | { readonly kind: 'duplicate'; readonly seq: number }

export interface StoreTotals {
  readonly documents: number
  readonly entries: number
  readonly bytes: number
}

export interface EntryStore {
  readonly kind: 'sqlite' | 'postgres'
  /** Bytes of entries a document may hold; a write that would pass it is refused. */
  append(topic: string, update: NewUpdate, maxDocumentBytes: number): Promise<AppendOutcome>
  compact(topic: string, snapshot: NewSnapshot, maxDocumentBytes: number): Promise<CompactOutcome>
  /** Ends the document (MOVE-2): no size limit, since it leaves less than there was. */
  tombstone(topic: string, tombstone: NewTombstone): Promise<TombstoneOutcome>
  /** Null when nothing is stored for the topic. */
  read(
    topic: string,
    have: { readonly snapshotId: Uint8Array | null; readonly since: number },
  ): Promise<DocumentRead | null>
  /** Drops documents not written since `before`; returns how many. */
  expire(before: Date): Promise<number>
  totals(): Promise<StoreTotals>
  close(): Promise<void>
}
