import * as Y from 'yjs'
import { onDocChange } from '../doc/doc-changes'
import { docUpdates } from '../doc/doc-updates'
import { deriveRoomKeys } from '../share/derive'
import type { DocId } from '../share/ids'
import type { DocAddress } from '../share/link'
import { indexedDbStorage } from './idb-store'
import type { DocStorage, DocStore, DocWriter, LoadReport, OpenReport } from './local-port'
import type { StatusModel } from './status'

// Local persistence for one open document (rules LOCAL-1, SAVE-1..4): loads the stored copy
// before the editor mounts, writes every change, and keeps `saved` in the status model true
// only while every change this tab knows of is in a committed IndexedDB transaction. It sees
// storage only through the port (local-port.ts); the engine is IndexedDB unless a caller says.

export function databaseName(docId: DocId): string {
  return `meshpad:doc:${docId}`
}

export class LocalStore {
  /** Resolves once the stored copy is in the doc (or storage failed and we run in memory). */
  readonly loaded: Promise<LoadReport | null>
  private writer: DocWriter | null = null
  private store: DocStore | null = null
  /** Something changed the document before its stored copy was loaded (a peer, a tab). */
  private changedEarly = false
  /** Stops the listener of changes before the load (and for good when storage is off). */
  private readonly stopEarly: () => void
  /** Stops onUpdate (subscribed once the stored copy is in). */
  private stopUpdates: (() => void) | null = null
  private written = 0
  private durable = 0
  private destroyed = false
  /** Storage failed or was refused: edits live in memory only and are not queued. */
  private storageOff = false

  constructor(
    address: DocAddress,
    private readonly doc: Y.Doc,
    private readonly status: StatusModel,
    private readonly warn: (message: string, error?: unknown) => void,
    private readonly storage: DocStorage = indexedDbStorage,
  ) {
    // Yjs encodes each transaction for every 'update' listener, and the load is one transaction
    // of the whole stored document: until it is in, changes are only noted (doc-changes.ts).
    this.stopEarly = onDocChange(doc, this.onEarlyChange)
    this.loaded = this.open(databaseName(address.docId), deriveRoomKeys(address).topic)
  }

  private stopStorage(): void {
    this.storageOff = true
    this.changedEarly = false
    this.store?.close()
    this.store = null
  }

  private async open(name: string, tag: string): Promise<LoadReport | null> {
    let report: OpenReport
    let store: DocStore
    try {
      store = await this.storage.open(name)
      if (this.destroyed) {
        store.close()
        return null
      }
      this.store = store
      if ((await store.claim(tag)) === 'mismatch') {
        this.warn('This browser holds another document under this id; it was not opened.')
        this.stopStorage()
        this.status.update({ loaded: true, problem: 'wrong-secret' })
        return null
      }
      report = await store.loadAndCompact(this.doc, this)
    } catch (error) {
      this.warn('IndexedDB is unavailable; this document lives only in this tab.', error)
      this.stopStorage()
      this.status.update({ loaded: true, problem: 'storage-unavailable' })
      return null
    }
    // The open's rewrite or fold commits after the editor mounts; if it fails the rows stay as
    // they were (nothing lost), so it is reported, not shown.
    void report.compacted.then((written) => {
      if (!written && !this.destroyed)
        this.warn('Compacting the stored rows failed; kept as they were.')
    })
    if (report.corrupt > 0) {
      this.warn(`${report.corrupt} stored row(s) of this document could not be read; set aside.`)
      this.status.update({ problem: 'storage-corrupt' })
    }
    this.writer = store.writer(this.doc, this, {
      durable: (seq) => {
        this.durable = Math.max(this.durable, seq)
        if (this.durable === this.written) this.status.update({ saved: true })
      },
      failed: (error) => {
        if (this.destroyed) return
        this.warn('A write to IndexedDB failed; recent edits may not be saved.', error)
        this.status.update({ problem: 'storage-write-failed' })
      },
    })
    this.stopEarly()
    // Through the document's hub: a peer's change is stored as the bytes that brought it.
    this.stopUpdates = docUpdates(this.doc).subscribe(this.onUpdate)
    // Rare (a peer was faster than IndexedDB): the whole state, which covers what came early.
    if (this.changedEarly) {
      this.written += 1
      this.writer.write(Y.encodeStateAsUpdate(this.doc))
    }
    this.changedEarly = false
    this.status.update({ loaded: true })
    return report
  }

  private readonly onEarlyChange = (origin: unknown): void => {
    if (origin === this || this.destroyed) return
    // Not stored yet, or (storage off) never: the status must never claim otherwise.
    this.status.update({ saved: false })
    if (!this.storageOff) this.changedEarly = true
  }

  private readonly onUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === this || this.destroyed || !this.writer) return
    this.written += 1
    this.status.update({ saved: false })
    this.writer.write(update)
  }

  async destroy(): Promise<void> {
    this.stopEarly()
    this.stopUpdates?.()
    this.writer?.close()
    this.destroyed = true
    await this.loaded
    this.store?.close()
  }
}

/** Deletes a document's local copy from this browser. */
export async function removeLocalCopy(
  docId: DocId,
  storage: DocStorage = indexedDbStorage,
): Promise<void> {
  await storage.remove(databaseName(docId))
}
