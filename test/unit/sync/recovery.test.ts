import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import type { LoadReport } from '../../../src/sync/idb-store'
import { lossAtLoad, watchRecovery, type RemoteSource } from '../../../src/sync/recovery'
import { StatusModel } from '../../../src/sync/status'

// When the notice that a document was rebuilt appears, and when it does not. The rebuild itself
// is ordinary replication; the Chromium proof is test/e2e/backup.test.ts.

const PEERS = { peer: true }
const SERVER = { server: true }
const LOCAL = { local: true }
const sourceOf = (origin: unknown): RemoteSource | null =>
  origin === PEERS ? 'peers' : origin === SERVER ? 'server' : null

function remoteContent(text: string): Uint8Array {
  const doc = new Y.Doc()
  doc.getText('t').insert(0, text)
  return Y.encodeStateAsUpdate(doc)
}

const flush = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0))

function setup(report: LoadReport | null, expectStoredCopy: boolean) {
  const doc = new Y.Doc()
  const status = new StatusModel()
  let resolveLoad: (value: LoadReport | null) => void = () => {}
  const loaded = new Promise<LoadReport | null>((resolve) => (resolveLoad = resolve))
  const stop = watchRecovery(doc, status, loaded, { sourceOf, expectStoredCopy })
  return { doc, status, stop, load: () => resolveLoad(report) }
}

describe('recovery notice', () => {
  it('[RECOVER-1] the load tells a removed or damaged copy from a new document', () => {
    expect(lossAtLoad({ rows: 0, corrupt: 0, bytes: 0 }, true)).toBe('missing')
    expect(lossAtLoad({ rows: 0, corrupt: 0, bytes: 0 }, false)).toBeNull()
    expect(lossAtLoad({ rows: 3, corrupt: 1, bytes: 10 }, false)).toBe('damaged')
    expect(lossAtLoad({ rows: 1, corrupt: 0, bytes: 10 }, true)).toBeNull()
    expect(lossAtLoad(null, true)).toBeNull()
  })

  it('[RECOVER-2] a missing copy refilled by the always-on peer is announced, once', async () => {
    const { doc, status, load } = setup({ rows: 0, corrupt: 0, bytes: 0 }, true)
    load()
    await flush()
    doc.getText('t').insert(0, 'typed here') // this tab's own edit: not a rebuild
    expect(status.get().notice).toBeNull()
    Y.applyUpdate(doc, remoteContent('from the server'), SERVER)
    expect(status.get().notice).toBe('rebuilt-missing-from-server')
    Y.applyUpdate(doc, remoteContent('later, from a peer'), PEERS)
    expect(status.get().notice).toBe('rebuilt-missing-from-server')
    expect(status.get().problem).toBeNull()
  })

  it('[RECOVER-2] content that arrives before the load ends counts, and names its source', async () => {
    const { doc, status, load } = setup({ rows: 0, corrupt: 0, bytes: 0 }, true)
    Y.applyUpdate(doc, remoteContent('early, from a peer'), PEERS)
    expect(status.get().notice).toBeNull()
    load()
    await flush()
    expect(status.get().notice).toBe('rebuilt-missing-from-peers')
  })

  it('[RECOVER-2] a damaged copy refilled by peers replaces the storage-corrupt problem', async () => {
    const { doc, status, load } = setup({ rows: 2, corrupt: 1, bytes: 10 }, false)
    status.update({ problem: 'storage-corrupt' })
    load()
    await flush()
    Y.applyUpdate(doc, remoteContent('the missing part'), PEERS)
    expect(status.get()).toMatchObject({ notice: 'rebuilt-damaged-from-peers', problem: null })
  })

  it('[RECOVER-2] no notice for a document new to this browser, for IndexedDB, or after close', async () => {
    const fresh = setup({ rows: 0, corrupt: 0, bytes: 0 }, false)
    fresh.load()
    await flush()
    Y.applyUpdate(fresh.doc, remoteContent('first sync of a shared link'), PEERS)
    expect(fresh.status.get().notice).toBeNull()

    const intact = setup({ rows: 1, corrupt: 0, bytes: 10 }, true)
    intact.load()
    await flush()
    Y.applyUpdate(intact.doc, remoteContent('a collaborator typed'), SERVER)
    expect(intact.status.get().notice).toBeNull()

    const local = setup({ rows: 0, corrupt: 0, bytes: 0 }, true)
    Y.applyUpdate(local.doc, remoteContent('rows loading'), LOCAL)
    local.load()
    await flush()
    expect(local.status.get().notice).toBeNull()
    local.stop()
    Y.applyUpdate(local.doc, remoteContent('after the session closed'), SERVER)
    expect(local.status.get().notice).toBeNull()
  })
})
