import * as Y from 'yjs'
import type { BackupEntry } from '../backup/format'
import type { DocumentCatalog } from '../doc/catalog'
import { deriveRoomKeys } from '../share/derive'
import type { DocAddress } from '../share/link'
import { indexedDbStorage } from './idb-store'
import { databaseName } from './local'

// Backup and restore of the whole browser, the storage half (rules BACKUP-1, BACKUP-4, BACKUP-5):
// read every listed document's local copy for a backup, and write a backup's documents back
// into IndexedDB in the app's own layout (a row of the whole state in `meshpad:doc:<docId>`,
// claimed by the document's address) and into the list. The file format is src/backup/.

/** Why one document of a backup was not restored. */
export type RestoreRefusal =
  | 'other-document' // this browser holds another document under its id (LINK-7)
  | 'unreadable-state' // its state is not a Yjs update
  | 'storage-failed' // IndexedDB refused the write

export interface RestoreReport {
  /** Documents this browser did not hold, now in the list and in IndexedDB. */
  readonly created: number
  /** Documents this browser held under the same link, merged with the backup's state. */
  readonly merged: number
  readonly refused: readonly {
    readonly docId: string
    readonly title: string
    readonly reason: RestoreRefusal
  }[]
}

/** The whole local state of one document, as a Yjs V2 update (empty when none is stored). */
export async function readStoredState(address: DocAddress): Promise<Uint8Array> {
  const doc = new Y.Doc()
  const store = await indexedDbStorage.open(databaseName(address.docId))
  try {
    // The list's address owns the store; a store owned by another address is not this document.
    if ((await store.claim(deriveRoomKeys(address).topic)) === 'claimed') {
      await store.read(doc, null)
    }
    return Y.encodeStateAsUpdateV2(doc)
  } finally {
    store.close()
    doc.destroy()
  }
}

/** Every document in the list, most recent first, with its stored state. */
export async function collectBackup(catalog: DocumentCatalog): Promise<BackupEntry[]> {
  catalog.load()
  const entries: BackupEntry[] = []
  for (const entry of catalog.list()) {
    entries.push({ ...entry, state: await readStoredState(entry) })
  }
  return entries
}

/** Parses a Yjs V2 state and re-encodes it in IndexedDB's layout (V1); null if it is not one. */
function storedForm(state: Uint8Array): Uint8Array | null {
  const doc = new Y.Doc()
  try {
    Y.applyUpdateV2(doc, state)
    if (doc.store.pendingStructs !== null || doc.store.pendingDs !== null) return null
    return Y.encodeStateAsUpdate(doc)
  } catch {
    return null
  } finally {
    doc.destroy()
  }
}

async function restoreOne(
  catalog: DocumentCatalog,
  entry: BackupEntry,
): Promise<'created' | 'merged' | RestoreRefusal> {
  if (catalog.conflicts(entry)) return 'other-document'
  const update = storedForm(entry.state)
  if (update === null) return 'unreadable-state'
  let held: boolean
  try {
    const store = await indexedDbStorage.open(databaseName(entry.docId))
    try {
      if ((await store.claim(deriveRoomKeys(entry).topic)) === 'mismatch') {
        return 'other-document'
      }
      held = (await store.count()) > 0
      // One more row: the next open merges it with what is there (Yjs merges are safe for any
      // two states of one document) and compacts.
      await store.append(update)
    } finally {
      store.close()
    }
  } catch {
    return 'storage-failed'
  }
  const listed = catalog.restore(entry)
  if (listed === 'conflict') return 'other-document'
  return listed === 'known' || held ? 'merged' : 'created'
}

/**
 * Writes a decoded backup into this browser: each document is created, merged with the copy
 * already here under the same link, or refused (another document under its id), one by one.
 */
export async function restoreBackup(
  catalog: DocumentCatalog,
  entries: readonly BackupEntry[],
): Promise<RestoreReport> {
  catalog.load()
  let created = 0
  let merged = 0
  const refused: RestoreReport['refused'][number][] = []
  // Oldest first, so that equal times never reorder the list.
  for (const entry of [...entries].sort((a, b) => a.openedAt - b.openedAt)) {
    const outcome = await restoreOne(catalog, entry)
    if (outcome === 'created') created += 1
    else if (outcome === 'merged') merged += 1
    else
      refused.push({ docId: entry.docId, title: entry.customTitle ?? entry.title, reason: outcome })
  }
  return { created, merged, refused }
}
