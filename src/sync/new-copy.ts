import { deriveRoomKeys } from '../share/derive'
import type { DocAddress } from '../share/link'
import { indexedDbStorage } from './idb-store'
import { databaseName } from './local'
import type { DocStorage } from './local-port'

// The local copy of a document created in this browser from a file (rule XFER-5): the same
// layout an open document writes (LOCAL-1), claimed for its address (LINK-7), holding the whole
// imported state as its one row. Opening the document then loads it like any other.

/**
 * Stores `update` as the whole local copy of a document this browser has never held. A store
 * that already holds rows is left untouched (and the call fails); a store this call began to
 * fill is removed again if writing fails, so nothing half-written remains.
 */
export async function writeNewLocalCopy(
  address: DocAddress,
  update: Uint8Array,
  storage: DocStorage = indexedDbStorage,
): Promise<void> {
  const name = databaseName(address.docId)
  const store = await storage.open(name)
  if ((await store.count().catch(() => 1)) > 0) {
    store.close()
    throw new Error('this browser already holds a document under the new id')
  }
  try {
    if ((await store.claim(deriveRoomKeys(address).topic)) !== 'claimed') {
      throw new Error('this browser already holds another document under the new id')
    }
    await store.append(update)
    store.close()
  } catch (error) {
    store.close()
    await storage.remove(name).catch(() => undefined)
    throw error
  }
}
