import 'fake-indexeddb/auto'
import { IDBFactory } from 'fake-indexeddb'
import { beforeEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { decodeBackup, encodeBackup } from '../../../src/backup/format'
import { DocumentCatalog, type KeyValueStore } from '../../../src/doc/catalog'
import { deriveRoomKeys } from '../../../src/share/derive'
import { newDocAddress, type DocAddress } from '../../../src/share/link'
import type { DocSecret } from '../../../src/share/ids'
import { collectBackup, restoreBackup } from '../../../src/sync/backup-store'
import {
  appendRow,
  claimStore,
  countRows,
  loadAndCompact,
  openStore,
} from '../../../src/sync/idb-store'
import { databaseName } from '../../../src/sync/local'

// Backup and restore against fake-indexeddb: each test is a fresh browser profile (its own
// IndexedDB factory and localStorage); the Chromium run is test/e2e/backup.test.ts.

function memoryStore(): KeyValueStore {
  const data = new Map<string, string>()
  return {
    getItem: (key) => data.get(key) ?? null,
    setItem: (key, value) => void data.set(key, value),
  }
}

let clock = 1_700_000_000_000

/** A new, empty browser profile (its clock moves one second per reading). */
function newProfile(): DocumentCatalog {
  globalThis.indexedDB = new IDBFactory()
  return new DocumentCatalog(memoryStore(), undefined, () => (clock += 1000))
}

beforeEach(() => {
  newProfile()
})

function paragraph(doc: Y.Doc, text: string): void {
  const body = doc.getXmlFragment('body')
  const p = new Y.XmlElement('paragraph')
  p.insert(0, [new Y.XmlText(text)])
  body.insert(body.length, [p])
}

/** Stores a document as the app does: claimed by its address, one row of its state. */
async function storeDocument(address: DocAddress, text: string): Promise<void> {
  const doc = new Y.Doc()
  paragraph(doc, text)
  const db = await openStore(databaseName(address.docId))
  expect(await claimStore(db, deriveRoomKeys(address).topic)).toBe('claimed')
  await appendRow(db, Y.encodeStateAsUpdate(doc))
  db.close()
}

/** Opens a document's store as the app does; null when its claim refuses this address. */
async function storedText(address: DocAddress): Promise<string | null> {
  const db = await openStore(databaseName(address.docId))
  try {
    if ((await claimStore(db, deriveRoomKeys(address).topic)) === 'mismatch') return null
    const doc = new Y.Doc()
    await loadAndCompact(db, doc, null)
    return doc
      .getXmlFragment('body')
      .toArray()
      .map((node) =>
        node instanceof Y.XmlElement
          ? node
              .toArray()
              .map((child) => (child instanceof Y.XmlText ? child.toJSON() : ''))
              .join('')
          : '',
      )
      .join('\n')
  } finally {
    db.close()
  }
}

describe('backup and restore of the whole browser (storage)', () => {
  it('[BACKUP-1] [BACKUP-4] a backup of one profile restores into an empty one: list, titles, content', async () => {
    const a = newProfile()
    const report = newDocAddress()
    const notes = newDocAddress()
    a.touch(report)
    a.setDerivedTitle(report.docId, 'Quarterly report')
    a.touch(notes)
    a.setDerivedTitle(notes.docId, 'Notes')
    a.rename(notes.docId, 'My notes')
    await storeDocument(report, 'Revenue grew.')
    await storeDocument(notes, 'Buy milk.')
    const file = await encodeBackup(await collectBackup(a), { passphrase: 'pw' })

    const b = newProfile()
    const result = await restoreBackup(b, await decodeBackup(file, { passphrase: 'pw' }))
    expect(result).toEqual({ created: 2, merged: 0, refused: [] })
    expect(
      b.list().map((entry) => [entry.docId, entry.secret, entry.title, entry.customTitle]),
    ).toEqual([
      [notes.docId, notes.secret, 'Notes', 'My notes'],
      [report.docId, report.secret, 'Quarterly report', undefined],
    ])
    // The list's times travel too.
    expect(b.get(report.docId)?.openedAt).toBe(a.get(report.docId)?.openedAt)
    // Stored in the app's layout, claimed by the document's address.
    expect(await storedText(report)).toBe('Revenue grew.')
    expect(await storedText(notes)).toBe('Buy milk.')
  })

  it('[BACKUP-5] a document this browser holds under the same link is merged, keeping local names', async () => {
    const a = newProfile()
    const shared = newDocAddress()
    a.touch(shared)
    a.setDerivedTitle(shared.docId, 'From A')
    await storeDocument(shared, 'Written in A.')
    const entries = await collectBackup(a)

    const b = newProfile()
    b.touch(shared)
    b.setDerivedTitle(shared.docId, 'From B')
    b.rename(shared.docId, 'B’s name')
    await storeDocument(shared, 'Written in B.')
    const result = await restoreBackup(b, entries)
    expect(result).toEqual({ created: 0, merged: 1, refused: [] })
    expect(b.list()).toHaveLength(1)
    expect(b.get(shared.docId)).toMatchObject({ title: 'From B', customTitle: 'B’s name' })
    const text = await storedText(shared)
    expect(text?.split('\n').sort()).toEqual(['Written in A.', 'Written in B.'])
    // Restoring the same backup again changes nothing (Yjs merges are idempotent).
    expect(await restoreBackup(b, entries)).toEqual({ created: 0, merged: 1, refused: [] })
    expect((await storedText(shared))?.split('\n').sort()).toEqual([
      'Written in A.',
      'Written in B.',
    ])
  })

  it('[BACKUP-5] [LINK-7] a document whose id this browser holds under another secret is refused, untouched', async () => {
    const a = newProfile()
    const theirs = newDocAddress()
    const fine = newDocAddress()
    for (const address of [theirs, fine]) {
      a.touch(address)
      await storeDocument(address, `Text of ${address.docId}`)
    }
    const entries = await collectBackup(a)

    const b = newProfile()
    const mine: DocAddress = { docId: theirs.docId, secret: 'y'.repeat(43) as DocSecret }
    b.touch(mine)
    b.setDerivedTitle(mine.docId, 'Mine')
    await storeDocument(mine, 'My own document.')
    const result = await restoreBackup(b, entries)
    expect(result.created).toBe(1)
    expect(result.merged).toBe(0)
    expect(result.refused).toEqual([{ docId: theirs.docId, title: '', reason: 'other-document' }])
    expect(b.get(mine.docId)?.secret).toBe(mine.secret)
    expect(await storedText(mine)).toBe('My own document.')
    expect(await storedText(theirs)).toBeNull()

    // The store's own claim refuses it too when the list has forgotten the id.
    const c = newProfile()
    await storeDocument(mine, 'Unlisted copy.')
    const again = await restoreBackup(
      c,
      entries.filter((entry) => entry.docId === theirs.docId),
    )
    expect(again.refused.map((item) => item.reason)).toEqual(['other-document'])
    expect(c.list()).toEqual([])
    expect(await storedText(mine)).toBe('Unlisted copy.')
  })

  it('[BACKUP-4] a state that is not a Yjs update is refused and nothing is stored for it', async () => {
    const b = newProfile()
    const address = newDocAddress()
    const result = await restoreBackup(b, [
      { ...address, title: 'Broken', createdAt: 1, openedAt: 2, state: new Uint8Array([1, 2, 3]) },
    ])
    expect(result.refused.map((item) => item.reason)).toEqual(['unreadable-state'])
    expect(b.list()).toEqual([])
    const db = await openStore(databaseName(address.docId))
    expect(await countRows(db)).toBe(0)
    db.close()
  })

  it('[BACKUP-1] a listed document whose local copy is gone is still backed up, with its link', async () => {
    const a = newProfile()
    const address = newDocAddress()
    a.touch(address)
    a.setDerivedTitle(address.docId, 'Lost here')
    const [entry] = await collectBackup(a)
    expect(entry).toMatchObject({
      docId: address.docId,
      secret: address.secret,
      title: 'Lost here',
    })
    const doc = new Y.Doc()
    Y.applyUpdateV2(doc, entry!.state)
    expect(doc.getXmlFragment('body').length).toBe(0)
  })
})
