import 'fake-indexeddb/auto'
import { IndexeddbPersistence } from 'y-indexeddb'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { loadAndCompact, openStore, UpdateWriter } from '../../../src/sync/idb-store'

// Meshpad keeps y-indexeddb's database layout (LOCAL-1) with an engine of its own (idb-store.ts
// says why). These tests hold the claim to y-indexeddb itself: what it wrote, Meshpad opens, and
// what Meshpad wrote (and compacted), y-indexeddb opens. The same IndexedDB implementation serves
// both (fake-indexeddb here; Chromium's in the app).

let counter = 0
const freshName = (): string => `interop-${process.pid}-${++counter}`

async function meshpadLoad(name: string): Promise<Y.Doc> {
  const db = await openStore(name)
  const doc = new Y.Doc()
  await loadAndCompact(db, doc, 'test')
  db.close()
  return doc
}

async function rows(name: string): Promise<number> {
  const db = await openStore(name)
  try {
    return await new Promise<number>((resolve, reject) => {
      const request = db.transaction(['updates'], 'readonly').objectStore('updates').count()
      request.onsuccess = () => resolve(request.result)
      request.onerror = () => reject(request.error ?? new Error('count failed'))
    })
  } finally {
    db.close()
  }
}

describe('y-indexeddb interoperability', () => {
  it('[LOCAL-1] a document written by y-indexeddb opens in Meshpad', async () => {
    const name = freshName()
    const doc = new Y.Doc()
    const persistence = new IndexeddbPersistence(name, doc)
    await persistence.whenSynced
    const text = doc.getText('t')
    text.insert(0, 'written by y-indexeddb')
    text.insert(0, '> ')
    text.delete(0, 2)
    // y-indexeddb stores each update in its own transaction; wait until all three are there.
    await expect.poll(() => rows(name)).toBeGreaterThanOrEqual(3)
    await persistence.destroy()
    const opened = await meshpadLoad(name)
    expect(opened.getText('t').toString()).toBe('written by y-indexeddb')
    expect(Y.encodeStateVector(opened)).toEqual(Y.encodeStateVector(doc))
  })

  it('[LOCAL-1] a document Meshpad wrote and compacted opens in y-indexeddb', async () => {
    const name = freshName()
    const db = await openStore(name)
    const doc = new Y.Doc()
    await loadAndCompact(db, doc, 'test')
    let durable = 0
    const writer = new UpdateWriter(db, doc, 'test', {
      durable: (seq) => (durable = seq),
      failed: (error) => {
        throw error
      },
    })
    let written = 0
    doc.on('update', (update: Uint8Array) => {
      written += 1
      writer.write(update)
    })
    doc.getText('t').insert(0, 'written by Meshpad')
    doc.getMap('m').set('k', 1)
    await expect.poll(() => durable).toBe(written)
    writer.close()
    db.close()
    // Reopening compacts the rows into one, as the app does on every open.
    await meshpadLoad(name)

    const other = new Y.Doc()
    const persistence = new IndexeddbPersistence(name, other)
    await persistence.whenSynced
    expect(other.getText('t').toString()).toBe('written by Meshpad')
    expect(other.getMap('m').get('k')).toBe(1)
    await persistence.destroy()
  })
})
