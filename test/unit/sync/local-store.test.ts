import 'fake-indexeddb/auto'
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { newDocAddress } from '../../../src/share/link'
import { LocalStore } from '../../../src/sync/local'
import { StatusModel } from '../../../src/sync/status'

// The open document's local store (src/sync/local.ts) against the real IndexedDB engine on
// fake-indexeddb: what it writes, and that loading a stored copy costs no second encoding.

const WAIT = { timeout: 10_000 }
const stores: LocalStore[] = []
afterEach(async () => {
  for (const store of stores.splice(0)) await store.destroy()
})

function open(address: ReturnType<typeof newDocAddress>, doc = new Y.Doc()) {
  const status = new StatusModel()
  const warnings: string[] = []
  const store = new LocalStore(address, doc, status, (message) => warnings.push(message))
  stores.push(store)
  return { doc, status, store, warnings }
}

async function closeSaved(session: ReturnType<typeof open>): Promise<void> {
  await session.store.loaded
  await vi.waitFor(() => expect(session.status.get().saved).toBe(true), WAIT)
  await session.store.destroy()
}

describe('the local store of an open document', () => {
  it('[SAVE-1] a change that arrives before the stored copy is loaded is stored with it', async () => {
    const address = newDocAddress()
    const first = open(address)
    await first.store.loaded
    first.doc.getText('t').insert(0, 'stored ')
    await closeSaved(first)

    // A peer's change lands while IndexedDB is still opening (the constructor's load is async).
    const peer = new Y.Doc()
    peer.getText('t').insert(0, 'from a peer')
    const second = open(address)
    Y.applyUpdate(second.doc, Y.encodeStateAsUpdate(peer), 'a peer')
    expect(second.status.get().saved).toBe(false)
    await closeSaved(second)

    const third = open(address)
    await third.store.loaded
    const expected = new Y.Doc()
    Y.applyUpdate(expected, Y.encodeStateAsUpdate(first.doc))
    Y.applyUpdate(expected, Y.encodeStateAsUpdate(peer))
    expect(third.doc.getText('t').toString()).toBe(expected.getText('t').toString())
    expect(third.doc.getText('t').toString()).toContain('from a peer')
    expect(third.warnings).toEqual([])
  })

  it('[SAVE-2] the stored copy is loaded while no update listener makes Yjs encode it again; later edits are written', async () => {
    const address = newDocAddress()
    const first = open(address)
    await first.store.loaded
    first.doc.getText('t').insert(0, 'x'.repeat(10_000))
    await closeSaved(first)

    const doc = new Y.Doc()
    const listening: boolean[] = []
    doc.on('afterTransaction', (transaction: Y.Transaction) => {
      const observers = (doc as unknown as { _observers: Map<string, Set<unknown>> })._observers
      if (transaction.origin instanceof LocalStore)
        listening.push((observers.get('update')?.size ?? 0) > 0)
    })
    const second = open(address, doc)
    await second.store.loaded
    expect(doc.getText('t').length).toBe(10_000)
    expect(listening).toEqual([false])

    doc.getText('t').insert(0, 'typed after the load ')
    await closeSaved(second)
    const third = open(address)
    await third.store.loaded
    expect(third.doc.getText('t').toString().startsWith('typed after the load x')).toBe(true)
  })
})
