import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { Awareness } from 'y-protocols/awareness'
import { ed25519Auto } from '../../../src/sync/gate/ed25519'
import { Presence } from '../../../src/sync/gate/presence'
import {
  decodeClientMessage,
  encodeServerMessage,
  type ClientMessage,
  type ServerMessage,
} from '../../../src/protocol/always-on'
import { parseEntry } from '../../../src/protocol/entry'
import { deriveDocKeys, deriveReadKeys, type DocKeys, type ReadKeys } from '../../../src/share/keys'
import { newDocAddress } from '../../../src/share/link'
import { StoreReplicator } from '../../../src/sync/always-on/replicator'
import type { SocketLike } from '../../../src/sync/always-on/store-link'
import { sealTombstone } from '../../../src/sync/always-on/tombstone'
import { otherSigner, textUpdate, updateEntry } from '../../helpers/raw-store'

// The browser's side of readers and moves (STORE-13, MOVE-5) against a hand-driven always-on
// peer: what the replicator sends, and what it does with what it is served, forged or genuine.

class FakeSocket implements SocketLike {
  binaryType = 'arraybuffer'
  readyState = 0
  readonly sent: ClientMessage[] = []
  onopen: ((event: unknown) => void) | null = null
  onclose: ((event: { code: number; reason: string }) => void) | null = null
  onmessage: ((event: { data: unknown }) => void) | null = null
  onerror: ((event: unknown) => void) | null = null

  send(data: Uint8Array): void {
    const message = decodeClientMessage(data)
    if (!message.ok) throw new Error(`the replicator sent a bad frame: ${message.detail}`)
    this.sent.push(message.value)
  }

  close(): void {
    this.readyState = 3
    this.onclose?.({ code: 1000, reason: '' })
  }

  open(): void {
    this.readyState = 1
    this.onopen?.({})
  }

  deliver(message: ServerMessage): void {
    this.onmessage?.({ data: encodeServerMessage(message) })
  }

  puts(): Extract<ClientMessage, { type: 'put' }>[] {
    return this.sent.filter((message) => message.type === 'put')
  }

  /** Puts of document content or tombstones (presence left out). */
  uploads(): Extract<ClientMessage, { type: 'put' }>[] {
    return this.puts().filter((put) => {
      const entry = parseEntry(put.entry, Number.MAX_SAFE_INTEGER)
      return entry.ok && entry.value.kind !== 'ephemeral'
    })
  }
}

let sockets: FakeSocket[]
let docs: Y.Doc[]
let replicators: StoreReplicator[]

beforeEach(() => {
  vi.useFakeTimers()
  sockets = []
  docs = []
  replicators = []
})
afterEach(() => {
  for (const replicator of replicators) replicator.destroy()
  for (const doc of docs) doc.destroy()
  vi.useRealTimers()
})

function replicator(keys: ReadKeys | DocKeys): {
  replicator: StoreReplicator
  doc: Y.Doc
  moved: number[]
  socket: () => FakeSocket
} {
  const doc = new Y.Doc()
  docs.push(doc)
  const moved: number[] = []
  const created = new StoreReplicator({
    url: 'ws://peer/store',
    keys,
    doc,
    presence: new Presence({ awareness: new Awareness(doc), keys, engine: ed25519Auto }),
    socket: () => {
      const socket = new FakeSocket()
      sockets.push(socket)
      return socket
    },
    maxEntryBytes: 1 << 20,
    onChange: () => undefined,
    onMoved: (_tombstone, movedAt) => moved.push(movedAt),
    warn: () => undefined,
  })
  replicators.push(created)
  created.start()
  return { replicator: created, doc, moved, socket: () => sockets.at(-1)! }
}

/** Opens the current socket and answers its hello with a welcome of these entries. */
function welcome(socket: FakeSocket, entries: Uint8Array[]): void {
  socket.open()
  socket.deliver({
    type: 'welcome',
    head: entries.length,
    snapshot: null,
    updates: entries.map((entry, i) => ({ seq: i + 1, entry })),
  })
}

/** A change made in this browser, as the group offers it. */
function typeLocally(r: StoreReplicator, doc: Y.Doc, text: string, mark: number): void {
  const update = textUpdate(text)
  Y.applyUpdate(doc, update)
  r.offerLocal(update, mark)
  vi.advanceTimersByTime(1)
}

const keys = (): DocKeys => deriveDocKeys(newDocAddress())
const viewOf = (k: DocKeys): ReadKeys => deriveReadKeys(k.docId, k.readSecret, k.verifyKey)

describe('StoreReplicator: readers and moves', () => {
  it('[STORE-13] a reader applies what it is served and never puts anything', () => {
    const k = keys()
    const { replicator: r, doc, socket } = replicator(viewOf(k))
    welcome(socket(), [updateEntry(k, 'served ')])
    expect(doc.getText('t').toString()).toBe('served ')
    socket().deliver({ type: 'entry', seq: 2, entry: updateEntry(k, 'live ') })
    expect(doc.getText('t').toString()).toContain('live ')
    typeLocally(r, doc, 'mine', 1)
    r.offerRemote(textUpdate('from webrtc'))
    vi.advanceTimersByTime(20_000)
    expect(socket().puts()).toEqual([])
    expect(r.canWrite).toBe(false)
    expect(r.ackedMark).toBe(0)
  })

  it('[MOVE-5] a tombstone that does not verify is dropped: no onMoved, uploads go on', () => {
    const k = keys()
    const { replicator: r, doc, moved, socket } = replicator(k)
    welcome(socket(), [updateEntry(k, 'a '), sealTombstone(otherSigner(k))])
    socket().deliver({ type: 'entry', seq: 3, entry: sealTombstone(keys()) })
    expect(moved).toEqual([])
    expect(r.rejectedEntries).toBe(2)
    expect(r.state).toBe('ready')
    typeLocally(r, doc, 'b', 1)
    expect(socket().uploads()).toHaveLength(1)
  })

  it('[MOVE-5] a genuine tombstone, live: onMoved once, uploads stop, the link closes', () => {
    const k = keys()
    const { replicator: r, doc, moved, socket } = replicator(k)
    welcome(socket(), [updateEntry(k, 'a ')])
    const tombstone = sealTombstone(k, 1_700_000_000_000)
    socket().deliver({ type: 'entry', seq: 2, entry: tombstone })
    expect(moved).toEqual([1_700_000_000_000])
    expect(r.state).toBe('moved')
    expect(r.movedAt).toBe(1_700_000_000_000)
    expect(socket().readyState).toBe(3)
    typeLocally(r, doc, 'b', 1)
    vi.advanceTimersByTime(60_000)
    expect(socket().uploads()).toEqual([])
    expect(sockets).toHaveLength(1) // no reconnect after a move
  })

  it('[MOVE-5] a `moved` refusal is no proof: the replicator fetches the tombstone before it says so', () => {
    const k = keys()
    const { replicator: r, doc, moved, socket } = replicator(k)
    welcome(socket(), [])
    typeLocally(r, doc, 'a', 1)
    const put = socket().uploads()[0]!
    socket().deliver({ type: 'reject', requestId: put.requestId, reason: 'moved', detail: '' })
    expect(moved).toEqual([])
    expect(sockets).toHaveLength(2) // reconnected at once to hear the peer's welcome
    welcome(socket(), [sealTombstone(k, 42)])
    expect(moved).toEqual([42])
    expect(r.state).toBe('moved')
  })

  it('[MOVE-5] a peer that claims `moved` twice without a tombstone is a refusal, not a move', () => {
    const k = keys()
    const { replicator: r, doc, moved, socket } = replicator(k)
    welcome(socket(), [])
    typeLocally(r, doc, 'a', 1)
    const first = socket().uploads()[0]!
    socket().deliver({ type: 'reject', requestId: first.requestId, reason: 'moved', detail: '' })
    welcome(socket(), []) // the peer lies: no tombstone
    const second = socket().uploads()[0]!
    socket().deliver({ type: 'reject', requestId: second.requestId, reason: 'moved', detail: '' })
    expect(moved).toEqual([])
    expect(r.state).toBe('refused')
    expect(r.lastRefusal).toBe('moved')
  })

  it('[MOVE-2] putTombstone goes once the peer is ready, again after a reconnect, and resolves on the ack', async () => {
    const k = keys()
    const { replicator: r, doc, moved, socket } = replicator(k)
    const tombstone = sealTombstone(k, 7)
    const stored = r.putTombstone(tombstone, 7)
    expect(r.state).toBe('moved') // uploads stop at once
    welcome(socket(), [])
    expect(
      socket()
        .puts()
        .map((put) => put.entry),
    ).toEqual([tombstone])
    socket().onclose?.({ code: 1006, reason: '' }) // lost before the answer
    vi.advanceTimersByTime(1_000)
    welcome(socket(), [])
    const again = socket().uploads()
    expect(again.map((put) => put.entry)).toEqual([tombstone])
    socket().deliver({ type: 'ack', requestId: again[0]!.requestId, seq: 1 })
    expect(await stored).toBe(true)
    expect(moved).toEqual([]) // its own move is not news to it
    typeLocally(r, doc, 'after', 1)
    expect(socket().puts()).toHaveLength(1) // the tombstone alone: no presence, no update
  })

  it('[STORE-13] a reader cannot put a tombstone', async () => {
    const k = keys()
    const { replicator: r, socket } = replicator(viewOf(k))
    welcome(socket(), [])
    expect(await r.putTombstone(sealTombstone(k), 1)).toBe(false)
    expect(socket().puts()).toEqual([])
  })
})
