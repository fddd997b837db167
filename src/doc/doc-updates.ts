import * as Y from 'yjs'
import { changedAnything } from './doc-changes'

// The one 'update' listener of a document, shared by everyone who needs the bytes of each
// change (the gate, the local store, the always-on peers). Yjs encodes every transaction once
// for its 'update' listeners; a change that arrived as bytes (a peer's entry: for a new peer, a
// whole book, ~110 ms to encode again at 2 MB of text) need not be. `applyReceived` applies such
// bytes with that encoding skipped and hands the listeners the bytes received instead: the same
// change for anyone who stores or forwards it (they may also repeat what the document knew,
// which applying again ignores).

export type UpdateListener = (update: Uint8Array, origin: unknown) => void

/** What applying received bytes did to the document. */
export interface Applied {
  /** It inserted or deleted something (exactly when Yjs would emit 'update'). */
  readonly changed: boolean
  /** It deleted something the document still had. */
  readonly deleted: boolean
  /**
   * Yjs held structs or deletions waiting for something missing, before or after the apply:
   * then the bytes may hold what did not apply yet, or miss what the apply released.
   */
  readonly pending: boolean
}

/** Whether Yjs holds structs or deletions of `doc` that wait for something still missing. */
export function hasPending(doc: Y.Doc): boolean {
  return doc.store.pendingStructs !== null || doc.store.pendingDs !== null
}

export class DocUpdates {
  private readonly listeners = new Set<UpdateListener>()
  /** Whether `emit` is registered on the document ('update'). */
  private registered = false
  /** Inside applyReceived, between its transaction's cleanup and the next transaction's. */
  private skipping = false

  constructor(private readonly doc: Y.Doc) {}

  /** Calls `listener` with the bytes of every change of the document; returns the stop. */
  subscribe(listener: UpdateListener): () => void {
    this.listeners.add(listener)
    this.register()
    return () => {
      this.listeners.delete(listener)
      this.register()
    }
  }

  /**
   * Applies `update` as Y.applyUpdate(doc, update, origin) does and tells the listeners, with
   * `update` itself as the bytes of the change; returns what it changed. Encoded
   * as usual instead when Yjs held pending structs before (applying may release them, and only
   * its own encoding contains them). Transactions that observers start meanwhile are encoded
   * as usual. Not inside another transaction: the apply would join it, and its bytes with it.
   */
  applyReceived(update: Uint8Array, origin: unknown): Applied {
    if (this.doc._transaction !== null) throw new Error('applyReceived inside a transaction')
    const skip = !hasPending(this.doc)
    let own: Y.Transaction | null = null
    const before = (transaction: Y.Transaction): void => {
      // The first transaction begun here is the apply's.
      own ??= transaction
    }
    const cleanup = (transaction: Y.Transaction): void => {
      // Runs just before Yjs encodes the transaction for 'update' listeners, if any.
      this.skipping = skip && transaction === own
      this.register()
    }
    this.doc.on('beforeTransaction', before)
    this.doc.on('afterTransactionCleanup', cleanup)
    let failure: { error: unknown } | null = null
    try {
      Y.applyUpdate(this.doc, update, origin)
    } catch (error) {
      failure = { error }
    } finally {
      this.doc.off('beforeTransaction', before)
      this.doc.off('afterTransactionCleanup', cleanup)
      this.skipping = false
      this.register()
    }
    const applied = own as Y.Transaction | null
    const changed = applied !== null && changedAnything(applied)
    if (changed && skip) {
      // A malformed update may have changed part of the document before it threw: then its
      // bytes are not the change, and what did change is encoded the long way.
      const bytes =
        failure === null
          ? update
          : Y.encodeStateAsUpdate(this.doc, Y.encodeStateVector(applied.beforeState))
      this.emit(bytes, origin)
    }
    if (failure !== null) throw failure.error
    return {
      changed,
      deleted: applied !== null && applied.deleteSet.clients.size > 0,
      pending: !skip || hasPending(this.doc),
    }
  }

  private register(): void {
    const wanted = this.listeners.size > 0 && !this.skipping
    if (wanted === this.registered) return
    this.registered = wanted
    if (wanted) this.doc.on('update', this.emit)
    else this.doc.off('update', this.emit)
  }

  private readonly emit = (update: Uint8Array, origin: unknown): void => {
    for (const listener of [...this.listeners]) listener(update, origin)
  }
}

const hubs = new WeakMap<Y.Doc, DocUpdates>()

/** The document's update hub: everyone who listens to a document's updates shares it. */
export function docUpdates(doc: Y.Doc): DocUpdates {
  let hub = hubs.get(doc)
  if (hub === undefined) {
    hub = new DocUpdates(doc)
    hubs.set(doc, hub)
  }
  return hub
}
