import { rmSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness'
import { decodeClientMessage } from '../../src/protocol/always-on'
import { NO_PARENT, parseEntry } from '../../src/protocol/entry'
import { deriveDocKeys, deriveReadKeys, type DocKeys, type ReadKeys } from '../../src/share/keys'
import { newDocAddress, type DocAddress } from '../../src/share/link'
import { openEntry, sealEntry } from '../../src/sync/always-on/crypto'
import { encodePayload } from '../../src/sync/always-on/payload'
import type { SocketLike } from '../../src/sync/always-on/store-link'
import { movedAtOf, sealTombstone } from '../../src/sync/always-on/tombstone'
import { startServer, type RunningServer } from '../../server/server'
import { nodeSocket, storeClient, storeUrlOf, type StoreClient } from '../helpers/always-on-client'
import {
  dumpDocument,
  flipByte,
  newKeys,
  otherSigner,
  RawStoreSocket,
  snapshotEntry,
  tempDataDir,
  updateEntry,
  type PutAnswer,
} from '../helpers/raw-store'
import { waitFor } from '../helpers/wait-for'

// Readers and moving to a new link on the always-on peer, end to end in Node: the real server on
// a real port with its SQLite store on disk, the app's own replication (AlwaysOnGroup) as editors
// and readers, and a raw socket as a modified client that signs whatever it likes.

const dirs: string[] = []
const servers: RunningServer[] = []
const clients: StoreClient[] = []
const raws: RawStoreSocket[] = []

function tempDir(): string {
  const dir = tempDataDir()
  dirs.push(dir)
  return dir
}

async function serve(dataDir: string): Promise<RunningServer> {
  const server = await startServer({ port: 0, logLevel: 'silent', dataDir })
  servers.push(server)
  return server
}

async function restart(server: RunningServer, dataDir: string): Promise<RunningServer> {
  await server.close()
  servers.splice(servers.indexOf(server), 1)
  return serve(dataDir)
}

function client(
  server: RunningServer,
  address: DocAddress,
  options: Parameters<typeof storeClient>[2] = {},
): StoreClient {
  const c = storeClient([storeUrlOf(server.url)], address, options)
  clients.push(c)
  return c
}

async function raw(server: RunningServer, keys: ReadKeys): Promise<RawStoreSocket> {
  const socket = await RawStoreSocket.open(storeUrlOf(server.url))
  raws.push(socket)
  socket.hello(keys)
  return socket
}

afterEach(async () => {
  for (const socket of raws.splice(0)) socket.close()
  for (const c of clients.splice(0)) await c.destroy()
  for (const s of servers.splice(0)) await s.close()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** What a view link yields: no signing key. */
function viewKeys(keys: DocKeys): ReadKeys {
  return deriveReadKeys(keys.docId, keys.readSecret, keys.verifyKey)
}

/** A socket that counts the puts a client sends. */
function counting(sent: { puts: number }): (url: string) => SocketLike {
  return (url) => {
    const socket = nodeSocket(url)
    const send = socket.send.bind(socket)
    socket.send = (data: Uint8Array): void => {
      const message = decodeClientMessage(data)
      if (message.ok && message.value.type === 'put') sent.puts += 1
      send(data)
    }
    return socket
  }
}

/** Presence for someone else's client id, sealed with `keys`. */
function presenceOf(keys: DocKeys, clientId: number, name: string): Uint8Array {
  const doc = new Y.Doc()
  doc.clientID = clientId
  const awareness = new Awareness(doc)
  awareness.setLocalStateField('user', { name })
  const update = encodeAwarenessUpdate(awareness, [clientId])
  awareness.destroy()
  doc.destroy()
  return sealEntry(
    keys,
    { kind: 'ephemeral', parent: NO_PARENT, covers: 0 },
    encodePayload({ type: 'awareness', sentAt: Date.now(), update }),
  )
}

function expectReject(answer: PutAnswer, reason: string): void {
  expect(answer.type === 'reject' ? answer.reason : `ack seq ${answer.seq}`).toBe(reason)
}

const pinned = (c: StoreClient) => () => c.status.get().pinned === 'pinned'

describe('always-on peers: readers', () => {
  it('[STORE-13] [THREAT-6] a reader gets the document and its live edits, puts nothing, and its crafted puts change nothing', async () => {
    const server = await serve(tempDir())
    const address = newDocAddress()
    const keys = deriveDocKeys(address)
    const editor = client(server, address)
    await waitFor('editor connected', () => editor.status.get().stores === 1)
    editor.text.insert(0, 'Minutes. ')
    await waitFor('editor pinned', pinned(editor))

    const sent = { puts: 0 }
    const reader = client(server, address, { keys: viewKeys(keys), socket: counting(sent) })
    await waitFor('reader has the text', () => reader.text.toString() === 'Minutes. ')
    editor.text.insert(editor.text.length, 'Live.')
    await waitFor('reader follows live', () => reader.text.toString() === 'Minutes. Live.')

    // A modified reader changes its own copy and presence directly: none of it leaves.
    reader.text.insert(0, 'VANDAL ')
    reader.awareness.setLocalStateField('user', { name: 'Reader' })
    editor.text.insert(editor.text.length, ' Later.')
    await waitFor('reader still follows', () => reader.text.toString().endsWith('Live. Later.'))
    await waitFor('editor pinned again', pinned(editor))
    expect(sent.puts).toBe(0)
    // Connected, and honest about it: nothing a reader changes is ever stored.
    expect(reader.status.get()).toMatchObject({ stores: 1, pinned: 'off' })

    // The same reader, modified to sign with a key of its own: every put is refused.
    const before = await dumpDocument(server.store!, keys.storeTopic)
    const forger = otherSigner(keys)
    const socket = await raw(server, viewKeys(keys))
    await socket.welcome()
    expectReject(await socket.put(updateEntry(forger, 'FORGED ')), 'bad-signature')
    expectReject(await socket.put(snapshotEntry(forger, 'FORGED', NO_PARENT, 0)), 'bad-signature')
    const impostor = presenceOf(forger, editor.doc.clientID, 'Impostor')
    expectReject(await socket.put(impostor), 'bad-signature')
    expect(await dumpDocument(server.store!, keys.storeTopic)).toEqual(before)

    // Nothing changed for the editor, and a newcomer gets exactly the editor's document.
    expect(editor.text.toString()).toBe('Minutes. Live. Later.')
    expect(editor.group.states()[0]!.rejectedEntries).toBe(0)
    const newcomer = client(server, address)
    await waitFor(
      'newcomer has the document',
      () => newcomer.text.toString() === editor.text.toString(),
    )
    const names = [...newcomer.awareness.getStates().values()].map(
      (state) => state['user'] as unknown,
    )
    expect(names).not.toContainEqual({ name: 'Impostor' })

    // And the reader is not cut off: it still receives.
    editor.text.insert(0, 'Again. ')
    await waitFor('reader still receives', () => reader.text.toString().includes('Again. '))
    expect(sent.puts).toBe(0)
  })
})

describe('always-on peers: moving to a new link', () => {
  it('[MOVE-2] [MOVE-3] [MOVE-4] [MOVE-5] a tombstone by the old write key ends every old-key write, also after a restart, and everyone on the old link is told', async () => {
    const dataDir = tempDir()
    let server = await serve(dataDir)
    const address = newDocAddress()
    const keys = deriveDocKeys(address)
    const told = { mover: [] as number[], editor: [] as number[], reader: [] as number[] }
    const mover = client(server, address, { onMoved: (at) => told.mover.push(at) })
    const editor = client(server, address, { onMoved: (at) => told.editor.push(at) })
    const reader = client(server, address, {
      keys: viewKeys(keys),
      onMoved: (at) => told.reader.push(at),
    })
    mover.text.insert(0, 'Secret plans. ')
    await waitFor('mover pinned', pinned(mover))
    await waitFor('editor has the text', () => editor.text.toString() === 'Secret plans. ')
    await waitFor('reader has the text', () => reader.text.toString() === 'Secret plans. ')

    const started = Date.now()
    expect(await mover.group.publishTombstone()).toBe(true)
    // Live subscribers learn it when it lands, editors and readers alike; the mover is not told
    // of its own move.
    await waitFor('editor told', () => told.editor.length === 1)
    await waitFor('reader told', () => told.reader.length === 1)
    expect(told.editor[0]).toBeGreaterThanOrEqual(started)
    expect(told.reader).toEqual(told.editor)
    expect(told.mover).toEqual([])
    // The editor stops uploading: what it types now stays in its own copy.
    editor.text.insert(0, 'After the move. ')
    expect(editor.group.states()[0]!.state).toBe('moved')
    expect(editor.status.get().pinned).toBe('off')

    // Every old-key write is refused, whatever its kind; a second tombstone is a duplicate.
    let socket = await raw(server, keys)
    const welcome = await socket.welcome()
    const tombstone = welcome.updates.at(-1)!
    expect(welcome.snapshot).toBeNull()
    expect(welcome.updates).toHaveLength(1)
    expect(welcome.head).toBe(tombstone.seq)
    expectReject(await socket.put(updateEntry(keys, 'late ')), 'moved')
    expectReject(await socket.put(snapshotEntry(keys, 'late', NO_PARENT, 0)), 'moved')
    expectReject(await socket.put(presenceOf(keys, 7, 'Late')), 'moved')
    expect(await socket.put(sealTombstone(keys))).toEqual({
      type: 'ack',
      requestId: expect.any(Number) as number,
      seq: tombstone.seq,
    })
    // The tombstone is all that is kept (MOVE-3): none of the content is served any more.
    const read = await server.store!.read(keys.storeTopic, { snapshotId: null, since: 0 })
    expect(read).toMatchObject({ head: tombstone.seq, snapshot: null, updates: [] })
    expect(read?.tombstone?.bytes).toEqual(tombstone.entry)

    // After a restart the tombstone is still served and still refuses old-key writes.
    socket.close()
    server = await restart(server, dataDir)
    socket = await raw(server, keys)
    const after = await socket.welcome()
    expect(after.updates.map((item) => item.seq)).toEqual([tombstone.seq])
    const opened = openEntry(viewKeys(keys), after.updates[0]!.entry, 1 << 20)
    expect(opened.ok && movedAtOf(opened.value)).toBe(told.editor[0])
    expectReject(await socket.put(updateEntry(keys, 'after restart ')), 'moved')

    // Someone opening the old link now learns that it moved, and reads nothing from the peer.
    const lateTold: number[] = []
    const late = client(server, address, { onMoved: (at) => lateTold.push(at) })
    await waitFor('newcomer told', () => lateTold.length === 1)
    expect(late.text.toString()).toBe('')
    late.text.insert(0, 'Too late. ')
    expect(late.group.states()[0]!.state).toBe('moved')
    const stored = await server.store!.read(keys.storeTopic, { snapshotId: null, since: 0 })
    expect(stored).toMatchObject({ head: tombstone.seq, updates: [] })
  })

  it('[MOVE-5] [STORE-12] a tombstone heard from one always-on peer is given to the others', async () => {
    const [first, second] = [await serve(tempDir()), await serve(tempDir())]
    const address = newDocAddress()
    const keys = deriveDocKeys(address)
    // The mover reaches only the first peer; an editor on the old link keeps it on both.
    const mover = client(first, address)
    const told: number[] = []
    const editor = storeClient([storeUrlOf(first.url), storeUrlOf(second.url)], address, {
      onMoved: (at) => told.push(at),
    })
    clients.push(editor)
    mover.text.insert(0, 'Kept twice. ')
    await waitFor('editor has it', () => editor.text.toString() === 'Kept twice. ')
    await waitFor('editor on both peers', () => editor.status.get().stores === 2)
    expect(await mover.group.publishTombstone()).toBe(true)
    await waitFor('editor told', () => told.length === 1)
    // The second peer got the same signed tombstone from the editor, and now refuses the old keys.
    await waitFor('second peer ended', async () => {
      const read = await second.store!.read(keys.storeTopic, { snapshotId: null, since: 0 })
      return read?.tombstone !== null && read?.tombstone !== undefined
    })
    const socket = await raw(second, keys)
    await socket.welcome()
    expectReject(await socket.put(updateEntry(keys, 'late ')), 'moved')
    expect(told).toHaveLength(1)
    expect(editor.group.states().map((replicator) => replicator.state)).toEqual(['moved', 'moved'])
  })

  it('[MOVE-5] [THREAT-7] a forged tombstone is refused and changes nothing', async () => {
    const server = await serve(tempDir())
    const address = newDocAddress()
    const keys = deriveDocKeys(address)
    const told: number[] = []
    const editor = client(server, address)
    const watcher = client(server, address, { onMoved: (at) => told.push(at) })
    editor.text.insert(0, 'Still here. ')
    await waitFor('editor pinned', pinned(editor))
    await waitFor('watcher has the text', () => watcher.text.toString() === 'Still here. ')
    const before = await dumpDocument(server.store!, keys.storeTopic)

    const socket = await raw(server, keys)
    await socket.welcome()
    // Signed with a random key; with a key a reader could derive (its read secret); for another
    // document; and a genuine one with its signature changed.
    const forgeries = [
      sealTombstone(otherSigner(keys)),
      sealTombstone({ ...keys, signingKey: keys.readSecret }),
      sealTombstone(newKeys()),
      flipByte(sealTombstone(keys), -1),
    ]
    for (const forged of forgeries) {
      expect(parseEntry(forged, 1 << 20).ok).toBe(true)
      expectReject(await socket.put(forged), 'bad-signature')
    }
    expect(await dumpDocument(server.store!, keys.storeTopic)).toEqual(before)
    const read = await server.store!.read(keys.storeTopic, { snapshotId: null, since: 0 })
    expect(read?.tombstone).toBeNull()

    // The document carries on: editing is stored and relayed, nobody was told it moved.
    editor.text.insert(editor.text.length, 'And editing.')
    await waitFor('editor pinned again', pinned(editor))
    await waitFor('watcher follows', () => watcher.text.toString() === 'Still here. And editing.')
    expect(told).toEqual([])
    expect(watcher.group.states()[0]!.state).toBe('ready')
    expect(watcher.group.states()[0]!.rejectedEntries).toBe(0)
  })
})
