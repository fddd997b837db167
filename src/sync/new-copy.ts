import { deriveRoomKeys } from '../share/derive'
import type { DocAddress } from '../share/link'
import { claimStore, deleteStore, openStore } from './idb-store'
import { databaseName } from './local'

// The local copy of a document created in this browser from a file (rule XFER-5): the same
// layout an open document writes (LOCAL-1), claimed for its address (LINK-7), holding the whole
// imported state as its one row. Opening the document then loads it like any other.

function rowCount(db: IDBDatabase): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = db.transaction(['updates'], 'readonly').objectStore('updates').count()
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error ?? new Error('IndexedDB count failed'))
  })
}

/**
 * Stores `update` as the whole local copy of a document this browser has never held. A store
 * that already holds rows is left untouched (and the call fails); a store this call began to
 * fill is removed again if writing fails, so nothing half-written remains.
 */
export async function writeNewLocalCopy(address: DocAddress, update: Uint8Array): Promise<void> {
  const name = databaseName(address.docId)
  const db = await openStore(name)
  if ((await rowCount(db).catch(() => 1)) > 0) {
    db.close()
    throw new Error('this browser already holds a document under the new id')
  }
  try {
    if ((await claimStore(db, deriveRoomKeys(address).topic)) !== 'claimed') {
      throw new Error('this browser already holds another document under the new id')
    }
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction(['updates'], 'readwrite')
      tx.objectStore('updates').add(update)
      tx.oncomplete = () => resolve()
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB write aborted'))
      tx.commit()
    })
    db.close()
  } catch (error) {
    db.close()
    await deleteStore(name).catch(() => undefined)
    throw error
  }
}
