import type * as Y from 'yjs'

// Knowing that a document changed, and by whose hand, without the cost of Yjs's 'update' event:
// while any 'update' listener is registered, Yjs encodes every transaction into update bytes,
// and opening a stored book-length document is one transaction of 2 MB (~180 ms to encode, and
// the garbage). Listeners that only need "something changed, from this origin" use this.

/** Whether `transaction` added or deleted anything: exactly when Yjs would emit 'update'. */
export function changedAnything(transaction: Y.Transaction): boolean {
  if (transaction.deleteSet.clients.size > 0) return true
  for (const [client, clock] of transaction.afterState) {
    if (transaction.beforeState.get(client) !== clock) return true
  }
  return false
}

/** Calls `listener` with the origin of each transaction that changed `doc`; returns the stop. */
export function onDocChange(doc: Y.Doc, listener: (origin: unknown) => void): () => void {
  const after = (transaction: Y.Transaction): void => {
    if (changedAnything(transaction)) listener(transaction.origin)
  }
  doc.on('afterTransaction', after)
  return () => doc.off('afterTransaction', after)
}
