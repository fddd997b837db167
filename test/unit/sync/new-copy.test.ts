import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { newDocAddress } from '../../../src/share/link'
import { claimStore, loadAndCompact, openStore } from '../../../src/sync/idb-store'
import { databaseName } from '../../../src/sync/local'
import { writeNewLocalCopy } from '../../../src/sync/new-copy'
import { deriveRoomKeys } from '../../../src/share/derive'

// An imported document's local copy (rule XFER-5), against fake-indexeddb: the layout an open
// document reads (LOCAL-1), claimed for its own address (LINK-7).

describe('new local copy', () => {
  it('[XFER-5] stores the state as the one row of a store claimed by the new address', async () => {
    const source = new Y.Doc()
    source.getText('t').insert(0, 'imported')
    const address = newDocAddress()
    await writeNewLocalCopy(address, Y.encodeStateAsUpdate(source))

    const db = await openStore(databaseName(address.docId))
    expect(await claimStore(db, deriveRoomKeys(address).topic)).toBe('claimed')
    expect(await claimStore(db, deriveRoomKeys(newDocAddress()).topic)).toBe('mismatch')
    const doc = new Y.Doc()
    const report = await loadAndCompact(db, doc, null)
    expect(report).toMatchObject({ rows: 1, corrupt: 0 })
    expect(doc.getText('t').toString()).toBe('imported')
    db.close()
  })

  it('[XFER-5] never writes into, nor removes, a store that already holds a document', async () => {
    const address = newDocAddress()
    const first = new Y.Doc()
    first.getText('t').insert(0, 'kept')
    await writeNewLocalCopy(address, Y.encodeStateAsUpdate(first))
    await expect(writeNewLocalCopy(address, new Uint8Array([0, 0]))).rejects.toThrow()
    const db = await openStore(databaseName(address.docId))
    const doc = new Y.Doc()
    expect(await loadAndCompact(db, doc, null)).toMatchObject({ rows: 1, corrupt: 0 })
    expect(doc.getText('t').toString()).toBe('kept')
    db.close()
  })
})
