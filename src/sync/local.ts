import type * as Y from 'yjs'
import { IndexeddbPersistence, clearDocument } from 'y-indexeddb'
import type { DocId } from '../share/ids'
import type { StatusModel } from './status'

// Local persistence (rules LOCAL-1, SAVE-1): y-indexeddb keeps the document in this browser.
//
// y-indexeddb gives no signal that an update is durable (its issue #28). It opens one readwrite
// transaction on the `updates` store synchronously inside the doc's `update` event. IndexedDB
// starts a readonly transaction only after every earlier readwrite transaction with an
// overlapping scope has finished, so a readonly "barrier" transaction opened right after it on
// the same connection completes only once that write has committed: that is our "saved" signal.

export function databaseName(docId: DocId): string {
  return `meshpad:doc:${docId}`
}

const UPDATES_STORE = 'updates'

export class LocalStore {
  readonly loaded: Promise<void>
  private readonly persistence: IndexeddbPersistence
  private written = 0
  private durable = 0
  private destroyed = false

  constructor(
    docId: DocId,
    private readonly doc: Y.Doc,
    private readonly status: StatusModel,
    private readonly warn: (message: string, error?: unknown) => void,
  ) {
    this.persistence = new IndexeddbPersistence(databaseName(docId), doc)
    // Registered after y-indexeddb's own listener, so its write is already queued when we run.
    doc.on('update', this.onUpdate)
    const opened = (this.persistence as unknown as { _db: Promise<IDBDatabase> })._db
    this.loaded = opened.then(
      async () => {
        await this.persistence.whenSynced
        this.status.update({ loaded: true })
        this.barrier()
      },
      (error: unknown) => {
        this.warn('IndexedDB is unavailable; this document lives only in this tab.', error)
        this.status.update({ loaded: true, problem: 'storage-unavailable' })
      },
    )
  }

  private readonly onUpdate = (_update: Uint8Array, origin: unknown): void => {
    if (origin === this.persistence || this.destroyed) return
    this.written += 1
    this.status.update({ saved: false })
    // Before the database is open y-indexeddb writes nothing per update; the whole state is
    // written when it opens, and the barrier queued after `whenSynced` covers it.
    if (this.persistence.db) this.barrier()
  }

  private barrier(): void {
    const db = this.persistence.db
    if (!db || this.destroyed) return
    const target = this.written
    let tx: IDBTransaction
    try {
      tx = db.transaction([UPDATES_STORE], 'readonly')
    } catch (error) {
      this.fail(error)
      return
    }
    tx.oncomplete = () => {
      this.durable = Math.max(this.durable, target)
      if (this.durable === this.written) this.status.update({ saved: true })
    }
    tx.onerror = () => this.fail(tx.error)
    tx.onabort = () => this.fail(tx.error)
  }

  private fail(error: unknown): void {
    if (this.destroyed) return
    this.warn('A write to IndexedDB failed; recent edits may not be saved.', error)
    this.status.update({ problem: 'storage-write-failed' })
  }

  async destroy(): Promise<void> {
    this.destroyed = true
    this.doc.off('update', this.onUpdate)
    await this.persistence.destroy()
  }
}

/** Deletes a document's local copy from this browser. */
export async function removeLocalCopy(docId: DocId): Promise<void> {
  await clearDocument(databaseName(docId))
}
