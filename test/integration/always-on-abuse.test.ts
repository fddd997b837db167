import { rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocketServer, type WebSocket } from 'ws'
import * as Y from 'yjs'
import { encodeAwarenessUpdate, Awareness } from 'y-protocols/awareness'
import {
  decodeClientMessage,
  encodeClientMessage,
  encodeServerMessage,
  STORE_CLOSE_CODES,
  storeCloseReasonOf,
  type HelloMessage,
  type PutRejection,
  type SeqEntry,
  type ServerMessage,
  type StoreCloseReason,
} from '../../src/protocol/always-on'
import { NO_PARENT, parseEntry, signEntry } from '../../src/protocol/entry'
import { deriveDocKeys, type DocKeys } from '../../src/share/keys'
import { newDocAddress, type DocAddress } from '../../src/share/link'
import { sealEntry } from '../../src/sync/always-on/crypto'
import { encodePayload } from '../../src/sync/always-on/payload'
import { SqliteStore } from '../../server/always-on/sqlite-store'
import type { EntryStore } from '../../server/always-on/store'
import type { ServerConfig } from '../../server/config'
import { startServer, type RunningServer, type ServerDeps } from '../../server/server'
import { storeClient, storeUrlOf, type StoreClient } from '../helpers/always-on-client'
import {
  dumpDocument,
  entryOfSize,
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

// The always-on peer attacked as a modified client would: a raw WebSocket speaking the binary
// protocol with forged, moved, tampered, replayed, malformed, oversized and too-fast input, and a
// modified always-on peer serving forged entries to the app's own replication code. Every attack
// must be refused with its exact reason, change nothing that is stored, and leave the server
// serving honest clients.

const dirs: string[] = []
const servers: RunningServer[] = []
const clients: StoreClient[] = []
const raws: RawStoreSocket[] = []
const fakes: WebSocketServer[] = []

async function serve(
  overrides: Partial<ServerConfig> = {},
  deps: ServerDeps = {},
): Promise<RunningServer> {
  const dataDir = tempDataDir()
  dirs.push(dataDir)
  const server = await startServer({ port: 0, logLevel: 'silent', dataDir, ...overrides }, deps)
  servers.push(server)
  return server
}

function client(
  urls: readonly string[],
  address: DocAddress,
  options: Parameters<typeof storeClient>[2] = {},
): StoreClient {
  const c = storeClient(urls, address, options)
  clients.push(c)
  return c
}

async function raw(server: RunningServer): Promise<RawStoreSocket> {
  const socket = await RawStoreSocket.open(storeUrlOf(server.url))
  raws.push(socket)
  return socket
}

afterEach(async () => {
  for (const socket of raws.splice(0)) socket.close()
  for (const c of clients.splice(0)) await c.destroy()
  for (const s of servers.splice(0)) await s.close()
  for (const fake of fakes.splice(0)) {
    for (const ws of fake.clients) ws.terminate()
    await new Promise<void>((resolve) => fake.close(() => resolve()))
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const pinned = (c: StoreClient) => () => c.status.get().pinned === 'pinned'

interface HonestDoc {
  readonly address: DocAddress
  readonly keys: DocKeys
  readonly writer: StoreClient
  readonly server: RunningServer
}

/** A document an honest writer has stored `text` in. */
async function honestDoc(server: RunningServer, text = 'Honest text.'): Promise<HonestDoc> {
  const address = newDocAddress()
  const writer = client([storeUrlOf(server.url)], address)
  await waitFor('honest writer connected', () => writer.status.get().stores === 1)
  writer.text.insert(0, text)
  await waitFor('honest writer pinned', pinned(writer))
  return { address, keys: deriveDocKeys(address), writer, server }
}

/** What a fresh honest reader gets from the peer. */
async function readText(server: RunningServer, address: DocAddress): Promise<string> {
  const reader = storeClient([storeUrlOf(server.url)], address)
  try {
    await waitFor('reader welcomed', () => reader.status.get().stores === 1)
    return reader.text.toString()
  } finally {
    await reader.destroy()
  }
}

/** The honest writer still stores edits, and a newcomer reads all of it: the peer serves on. */
async function honestKeepsWorking(doc: HonestDoc): Promise<void> {
  doc.writer.text.insert(doc.writer.text.length, ' Still writing.')
  await waitFor('honest writer pinned again', pinned(doc.writer))
  expect(await readText(doc.server, doc.address)).toBe(doc.writer.text.toString())
  // And a document nobody attacked is served as ever.
  const other = await honestDoc(doc.server, 'Another document.')
  expect(await readText(doc.server, other.address)).toBe('Another document.')
}

/** Puts refused, and connections closed for a reason counted with them (bad-frame, ...). */
async function rejections(
  server: RunningServer,
  reason: PutRejection | StoreCloseReason,
): Promise<number> {
  const metric = server.metrics.registry.getSingleMetric('meshpad_store_rejections_total')
  if (metric === undefined) throw new Error('meshpad_store_rejections_total is not registered')
  const { values } = await metric.get()
  return values.find((value) => value.labels['reason'] === reason)?.value ?? 0
}

function expectReject(answer: PutAnswer, reason: PutRejection): void {
  expect(answer.type === 'reject' ? answer.reason : `ack seq ${answer.seq}`).toBe(reason)
}

function expectAck(answer: PutAnswer, seq?: number): void {
  expect(answer.type === 'ack' ? 'ack' : `reject ${answer.reason}: ${answer.detail}`).toBe('ack')
  if (seq !== undefined && answer.type === 'ack') expect(answer.seq).toBe(seq)
}

/** `store`, whose writes each take `delayMs` longer: a busy disk or database. */
function slowed(store: EntryStore, delayMs: number): EntryStore {
  const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, delayMs))
  return {
    kind: store.kind,
    append: async (...args) => {
      await pause()
      return store.append(...args)
    },
    compact: async (...args) => {
      await pause()
      return store.compact(...args)
    },
    tombstone: async (...args) => {
      await pause()
      return store.tombstone(...args)
    },
    read: (...args) => store.read(...args),
    expire: (...args) => store.expire(...args),
    totals: () => store.totals(),
    close: () => store.close(),
  }
}

/** An attacker's socket that said hello for the document (its topic and key are public). */
async function attackerOn(doc: HonestDoc): Promise<RawStoreSocket> {
  const socket = await raw(doc.server)
  socket.hello(doc.keys)
  await socket.welcome()
  return socket
}

describe('the always-on peer refuses what a modified client sends', () => {
  it('[STORE-3][THREAT-2] a hello whose topic does not commit to its verify key is closed with 4403', async () => {
    const server = await serve()
    const doc = await honestDoc(server)
    const before = await dumpDocument(server.store!, doc.keys.storeTopic)
    const attacker = newKeys()
    const forged = otherSigner(doc.keys)
    const hellos: { what: string; topic: string; verifyKey: Uint8Array }[] = [
      { what: "the document's topic, the attacker's key", ...pick(doc.keys.storeTopic, attacker) },
      { what: "the attacker's topic, the document's key", ...pick(attacker.storeTopic, doc.keys) },
      {
        what: 'a 31-byte key',
        topic: doc.keys.storeTopic,
        verifyKey: doc.keys.verifyKey.slice(0, 31),
      },
      {
        what: 'a 33-byte key',
        topic: doc.keys.storeTopic,
        verifyKey: new Uint8Array([...doc.keys.verifyKey, 0]),
      },
      { what: 'a made-up topic', topic: 'mp2.not-a-topic', verifyKey: doc.keys.verifyKey },
    ]
    for (const hello of hellos) {
      const socket = await raw(server)
      socket.hello({ storeTopic: hello.topic, verifyKey: hello.verifyKey })
      // Pipelined right behind the hello: a put signed with the attacker's key for that key.
      socket.sendPut(updateEntry(forged, 'FORGED'))
      const closed = await socket.closed
      expect({ what: hello.what, ...closed }).toEqual({
        what: hello.what,
        code: STORE_CLOSE_CODES['bad-topic'],
        reason: 'bad-topic: topic-does-not-match-key',
      })
      expect(socket.received.filter((m) => m.type !== 'welcome')).toEqual([])
    }
    expect(await dumpDocument(server.store!, doc.keys.storeTopic)).toEqual(before)
    expect(await dumpDocument(server.store!, attacker.storeTopic)).toBeNull()
    expect(await readText(server, doc.address)).toBe('Honest text.')
    await honestKeepsWorking(doc)
  })

  it('[STORE-3][THREAT-2] knowing the topic and the verify key, puts signed by another key are refused bad-signature', async () => {
    const server = await serve()
    const doc = await honestDoc(server)
    const before = await dumpDocument(server.store!, doc.keys.storeTopic)
    // An honest reader is connected during the attack: nothing forged may be relayed to it.
    const watcher = client([storeUrlOf(server.url)], doc.address)
    await waitFor('watcher welcomed', () => watcher.status.get().stores === 1)
    const attacker = await attackerOn(doc)
    // The attacker even holds the encryption key (a leaked read secret): only signing is missing.
    const forged = otherSigner(doc.keys)
    const awareness = new Awareness(new Y.Doc())
    awareness.setLocalStateField('user', { name: 'Mallory' })
    const attempts = {
      'an added update': updateEntry(forged, 'FORGED'),
      // Would replace the whole document and drop every stored update (covers the head).
      'a replacing snapshot': snapshotEntry(forged, 'FORGED', NO_PARENT, before!.head),
      'relayed presence': sealEntry(
        forged,
        { kind: 'ephemeral', parent: NO_PARENT, covers: 0 },
        encodePayload({
          type: 'awareness',
          sentAt: Date.now(),
          update: encodeAwarenessUpdate(awareness, [awareness.clientID]),
        }),
      ),
    }
    awareness.doc.destroy()
    for (const [what, entry] of Object.entries(attempts)) {
      const answer = await attacker.put(entry)
      expect({ what, answer }).toMatchObject({
        what,
        answer: { type: 'reject', reason: 'bad-signature' },
      })
    }
    expect(await rejections(server, 'bad-signature')).toBe(3)
    expect(await dumpDocument(server.store!, doc.keys.storeTopic)).toEqual(before)
    expect(await readText(server, doc.address)).toBe('Honest text.')
    expect(watcher.text.toString()).toBe('Honest text.')
    expect(watcher.group.states()[0]!.rejectedEntries).toBe(0)
    const names = [...watcher.awareness.getStates().values()].map(
      (state) => state['user'] as unknown,
    )
    expect(names).not.toContainEqual({ name: 'Mallory' })
    await honestKeepsWorking(doc)
  })

  it('[ENTRY-2][THREAT-2] an entry cannot be moved between documents: bad-signature', async () => {
    const server = await serve()
    const doc = await honestDoc(server)
    const before = await dumpDocument(server.store!, doc.keys.storeTopic)
    // The attacker's own document, with every key of it.
    const theirs = newKeys()
    const intoVictim = await attackerOn(doc)
    // Validly signed, but for the attacker's document's topic.
    expectReject(await intoVictim.put(updateEntry(theirs, 'FORGED')), 'bad-signature')

    // A genuine entry of the victim's document, replayed into another document.
    const stolen = (await intoVictim.welcome()).updates[0]!.entry
    const intoTheirs = await raw(server)
    intoTheirs.hello(theirs)
    await intoTheirs.welcome()
    expectReject(await intoTheirs.put(stolen), 'bad-signature')

    expect(await dumpDocument(server.store!, doc.keys.storeTopic)).toEqual(before)
    expect(await dumpDocument(server.store!, theirs.storeTopic)).toBeNull()
    expect(await readText(server, doc.address)).toBe('Honest text.')
    await honestKeepsWorking(doc)
  })

  it('[ENTRY-2] a header, nonce, ciphertext or signature changed after signing is refused bad-signature', async () => {
    const server = await serve()
    const doc = await honestDoc(server)
    const before = await dumpDocument(server.store!, doc.keys.storeTopic)
    const attacker = await attackerOn(doc)
    // A browser's put caught on its way (not yet stored), changed, and sent on.
    const genuine = updateEntry(doc.keys, ' And more.')
    const parsed = parseEntry(genuine, Number.MAX_SAFE_INTEGER)
    if (!parsed.ok) throw new Error(parsed.detail)
    const nonceAt = parsed.value.nonce.byteOffset - genuine.byteOffset
    const ciphertextAt = parsed.value.ciphertext.byteOffset - genuine.byteOffset
    expect(nonceAt).toBe(35) // version, kind, 32-byte parent, one-byte covers
    const tampered: Record<string, Uint8Array> = {
      'kind update -> snapshot': flipByte(genuine, 1, 1 ^ 2),
      'kind update -> ephemeral': flipByte(genuine, 1, 1 ^ 3),
      'first parent byte': flipByte(genuine, 2),
      'last parent byte': flipByte(genuine, 33, 0x80),
      'nonce byte': flipByte(genuine, nonceAt + 5),
      'first ciphertext byte': flipByte(genuine, ciphertextAt),
      'last ciphertext byte': flipByte(genuine, -65),
      'first signature byte': flipByte(genuine, -64),
      'last signature byte': flipByte(genuine, -1, 0x40),
    }
    // A snapshot's covers is in the signed header too.
    const snapshot = snapshotEntry(doc.keys, 'Honest text.', NO_PARENT, before!.head)
    tampered['snapshot covers'] = flipByte(snapshot, 34)
    for (const [what, entry] of Object.entries(tampered)) {
      const answer = await attacker.put(entry)
      expect({ what, reason: answer.type === 'reject' ? answer.reason : 'ack' }).toEqual({
        what,
        reason: 'bad-signature',
      })
    }
    expect(await dumpDocument(server.store!, doc.keys.storeTopic)).toEqual(before)
    // The untouched entry is accepted: the refusals were the tampering's doing.
    expectAck(await attacker.put(genuine), before!.head + 1)
    await waitFor('the writer got the relayed entry', () =>
      doc.writer.text.toString().includes('And more.'),
    )
    await honestKeepsWorking(doc)
  })

  it('[STORE-3][THREAT-2] a replayed entry is a duplicate (same seq, nothing stored); once compacted away it is stale-parent', async () => {
    const server = await serve()
    const doc = await honestDoc(server, 'One.')
    doc.writer.text.insert(doc.writer.text.length, ' Two.')
    await waitFor('pinned', pinned(doc.writer))
    doc.writer.text.insert(doc.writer.text.length, ' Three.')
    await waitFor('pinned', pinned(doc.writer))
    const before = await dumpDocument(server.store!, doc.keys.storeTopic)
    const totals = await server.store!.totals()
    const attacker = await attackerOn(doc)
    // Everything the peer hands out is public to whoever knows the topic: replay all of it.
    const old = (await attacker.welcome()).updates
    expect(old.map((item) => item.seq)).toEqual([1, 2, 3])
    for (const item of old) expectAck(await attacker.put(item.entry), item.seq)
    expect(await dumpDocument(server.store!, doc.keys.storeTopic)).toEqual(before)
    expect(await server.store!.totals()).toEqual(totals)

    // The writer types enough for a snapshot to compact the log (over MIN_COMPACT_BYTES).
    for (let i = 0; i < 12; i += 1) {
      doc.writer.text.insert(
        doc.writer.text.length,
        ` Paragraph ${i}: ${'lorem ipsum '.repeat(90)}`,
      )
      await waitFor('pinned', pinned(doc.writer))
    }
    // Settled: a snapshot replaced the first updates and nothing changed for a while.
    let last = ''
    const compacted = await waitFor(
      'a snapshot replaced the first updates',
      async () => {
        const dump = await dumpDocument(server.store!, doc.keys.storeTopic)
        const seen = JSON.stringify(dump)
        const settled = seen === last
        last = seen
        return settled && dump?.snapshot && dump.updates.every((u) => u.seq > 3) ? dump : null
      },
      { intervalMs: 250 },
    )
    const entries = (await server.store!.totals()).entries
    for (const item of old) expectReject(await attacker.put(item.entry), 'stale-parent')
    // The current snapshot itself, replayed, is a duplicate.
    const snapshot = new Uint8Array(Buffer.from(compacted.snapshot!.bytes, 'base64'))
    expectAck(await attacker.put(snapshot), compacted.snapshot!.seq)
    expect((await server.store!.totals()).entries).toBe(entries)
    expect(await dumpDocument(server.store!, doc.keys.storeTopic)).toEqual(compacted)
    expect(await readText(server, doc.address)).toBe(doc.writer.text.toString())
    await honestKeepsWorking(doc)
  })

  it('[STORE-3][STORE-5] a snapshot on a stale parent is refused stale-parent, one covering more than the head covers-ahead', async () => {
    const server = await serve()
    const doc = await honestDoc(server)
    const before = await dumpDocument(server.store!, doc.keys.storeTopic)
    const head = before!.head
    // Signed with the document's own key (a lagging or buggy link holder): the log still holds.
    const writer = await attackerOn(doc)
    const unknownParent = new Uint8Array(32).fill(7)
    expectReject(
      await writer.put(snapshotEntry(doc.keys, 'X', unknownParent, head)),
      'stale-parent',
    )
    const ahead = await writer.put(snapshotEntry(doc.keys, 'X', NO_PARENT, head + 1))
    expectReject(ahead, 'covers-ahead')
    expect(ahead.type === 'reject' && ahead.detail).toBe(`the head is ${head}`)
    expectReject(
      await writer.put(snapshotEntry(doc.keys, 'X', NO_PARENT, head + 1000)),
      'covers-ahead',
    )
    // An update on a snapshot that does not exist is stale too.
    expectReject(await writer.put(updateEntry(doc.keys, 'X', unknownParent)), 'stale-parent')
    expect(await rejections(server, 'stale-parent')).toBe(2)
    expect(await rejections(server, 'covers-ahead')).toBe(2)
    expect(await dumpDocument(server.store!, doc.keys.storeTopic)).toEqual(before)
    expect(await readText(server, doc.address)).toBe('Honest text.')
    await honestKeepsWorking(doc)
  })

  it('[ENTRY-3][THREAT-4] truncated, padded, wrong-version, unknown-kind and covers-on-update entries are refused with their reasons', async () => {
    const server = await serve()
    const doc = await honestDoc(server)
    const before = await dumpDocument(server.store!, doc.keys.storeTopic)
    const attacker = await attackerOn(doc)
    const genuine = updateEntry(doc.keys, 'X')
    const covered = (kind: 'update' | 'ephemeral'): Uint8Array => {
      const header = { kind, parent: NO_PARENT, covers: 3 }
      return signEntry(
        doc.keys.storeTopic,
        header,
        new Uint8Array(24),
        new Uint8Array(40),
        doc.keys.signingKey,
      )
    }
    const cases: [string, Uint8Array, PutRejection][] = [
      ['cut to 2 bytes', genuine.slice(0, 2), 'malformed-entry'],
      ['cut inside the parent', genuine.slice(0, 20), 'malformed-entry'],
      ['cut inside the nonce', genuine.slice(0, 50), 'malformed-entry'],
      ['cut inside the ciphertext', genuine.slice(0, 70), 'malformed-entry'],
      ['no signature', genuine.slice(0, genuine.length - 64), 'malformed-entry'],
      ['signature one byte short', genuine.slice(0, -1), 'malformed-entry'],
      ['one trailing byte', new Uint8Array([...genuine, 0]), 'malformed-entry'],
      [
        'a second signature',
        new Uint8Array([...genuine, ...genuine.slice(-64)]),
        'malformed-entry',
      ],
      ['version 2', flipByte(genuine, 0, 1 ^ 2), 'unsupported-entry-version'],
      ['version 0', flipByte(genuine, 0, 1), 'unsupported-entry-version'],
      ['version 255', flipByte(genuine, 0, 1 ^ 255), 'unsupported-entry-version'],
      ['kind 0', flipByte(genuine, 1, 1), 'unknown-entry-kind'],
      ['kind 5', flipByte(genuine, 1, 1 ^ 5), 'unknown-entry-kind'],
      ['kind 255', flipByte(genuine, 1, 1 ^ 255), 'unknown-entry-kind'],
      ['covers on a signed update', covered('update'), 'malformed-entry'],
      ['covers on a signed ephemeral', covered('ephemeral'), 'malformed-entry'],
    ]
    const answers: Record<string, string> = {}
    for (const [what, entry] of cases) {
      const answer = await attacker.put(entry)
      answers[what] = answer.type === 'reject' ? answer.reason : 'ack'
    }
    expect(answers).toEqual(Object.fromEntries(cases.map(([what, , reason]) => [what, reason])))
    expect(attacker.isOpen).toBe(true)
    expect(await rejections(server, 'malformed-entry')).toBe(10)
    expect(await rejections(server, 'unsupported-entry-version')).toBe(3)
    expect(await rejections(server, 'unknown-entry-kind')).toBe(3)
    expect(await dumpDocument(server.store!, doc.keys.storeTopic)).toEqual(before)
    await honestKeepsWorking(doc)
  })

  it('[ENTRY-3] an empty or one-byte entry is refused malformed-entry, whatever its one byte says', async () => {
    const server = await serve()
    const doc = await honestDoc(server)
    const before = await dumpDocument(server.store!, doc.keys.storeTopic)
    const attacker = await attackerOn(doc)
    // Read past its end, a cut entry must not pass for a version or kind that is merely unknown.
    const cases: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['version 1 alone', new Uint8Array([1])],
      ['version 0 alone', new Uint8Array([0])],
      ['version 2 alone', new Uint8Array([2])],
      ['0xff alone', new Uint8Array([0xff])],
    ]
    const answers: Record<string, string> = {}
    for (const [what, entry] of cases) {
      const answer = await attacker.put(entry)
      answers[what] = answer.type === 'reject' ? answer.reason : 'ack'
    }
    expect(answers).toEqual(Object.fromEntries(cases.map(([what]) => [what, 'malformed-entry'])))
    expect(attacker.isOpen).toBe(true)
    expect(await rejections(server, 'malformed-entry')).toBe(cases.length)
    expect(await rejections(server, 'unsupported-entry-version')).toBe(0)
    expect(await rejections(server, 'unknown-entry-kind')).toBe(0)
    expect(await dumpDocument(server.store!, doc.keys.storeTopic)).toEqual(before)
    await honestKeepsWorking(doc)
  })

  it('[STORE-4][THREAT-4] bad frames close with 4400, another protocol version with 4426, an oversized frame with 1009 before it is read', async () => {
    const server = await serve({ storeMaxEntryBytes: 4096 })
    const doc = await honestDoc(server)
    const before = await dumpDocument(server.store!, doc.keys.storeTopic)
    const hello = encodeClientMessage({
      type: 'hello',
      topic: doc.keys.storeTopic,
      verifyKey: doc.keys.verifyKey,
      haveSnapshot: new Uint8Array(0),
      since: 0,
    })
    const put = encodeClientMessage({
      type: 'put',
      requestId: 1,
      entry: updateEntry(doc.keys, 'FRAME'),
    })
    const withVersion = (frame: Uint8Array, version: number): Uint8Array => {
      const copy = new Uint8Array(frame)
      copy[0] = version
      return copy
    }
    const cases: {
      what: string
      frames: (Uint8Array | string)[]
      code: number
      reason?: RegExp
    }[] = [
      { what: 'a text frame', frames: ['hello'], code: 4400, reason: /^bad-frame: text-frame$/ },
      { what: 'a text frame after hello', frames: [hello, '{}'], code: 4400 },
      { what: 'an empty frame', frames: [new Uint8Array(0)], code: 4400 },
      { what: 'one byte', frames: [new Uint8Array([1])], code: 4400 },
      { what: 'an unknown type', frames: [new Uint8Array([1, 99, 0, 0])], code: 4400 },
      { what: 'a server type', frames: [new Uint8Array([1, 12, 1, 1])], code: 4400 },
      {
        what: 'an endless varuint',
        frames: [new Uint8Array([1, 2, 0xff, 0xff, 0xff])],
        code: 4400,
      },
      { what: 'a hello with trailing bytes', frames: [new Uint8Array([...hello, 0])], code: 4400 },
      { what: 'a cut hello', frames: [hello.slice(0, 20)], code: 4400 },
      { what: 'a put before hello', frames: [put], code: 4400, reason: /put-before-hello/ },
      { what: 'a second hello', frames: [hello, hello], code: 4400, reason: /second-hello/ },
      {
        what: 'protocol version 2',
        frames: [withVersion(hello, 2)],
        code: 4426,
        reason: /^unsupported-version/,
      },
      { what: 'protocol version 0', frames: [withVersion(hello, 0)], code: 4426 },
      { what: 'a version-2 put after hello', frames: [hello, withVersion(put, 2)], code: 4426 },
      { what: 'a frame over the limit', frames: [new Uint8Array(4096 + 64 + 1)], code: 1009 },
    ]
    for (const { what, frames, code, reason } of cases) {
      const socket = await raw(server)
      for (const frame of frames) socket.send(frame)
      const closed = await socket.closed
      expect({ what, code: closed.code }).toEqual({ what, code })
      if (reason) expect(closed.reason).toMatch(reason)
      // Nothing but (at most) the welcome was ever sent on such a connection.
      expect(socket.received.filter((m) => m.type !== 'welcome')).toEqual([])
    }

    // A frame header announcing 1 GiB: refused from the header alone, no payload ever sent.
    const huge = await raw(server)
    const started = Date.now()
    huge.declareFrame(1024 * 1024 * 1024)
    expect((await huge.closed).code).toBe(STORE_CLOSE_CODES['too-large'])
    expect(Date.now() - started).toBeLessThan(2_000)

    expect(await dumpDocument(server.store!, doc.keys.storeTopic)).toEqual(before)
    expect(server.stats().storeConnections).toBeGreaterThanOrEqual(1) // the honest writer
    await honestKeepsWorking(doc)
  })

  it('[STORE-4][THREAT-4] a text frame that is not UTF-8 closes with 1007 and is counted as bad-frame', async () => {
    const server = await serve()
    const doc = await honestDoc(server)
    const before = await dumpDocument(server.store!, doc.keys.storeTopic)
    // 0xc3 0x28: a two-byte sequence whose second byte is not a continuation byte.
    const invalid = Buffer.from([0x68, 0x69, 0xc3, 0x28])
    const sockets = { 'before hello': await raw(server), 'after hello': await attackerOn(doc) }
    for (const [what, socket] of Object.entries(sockets)) {
      // A text frame with these bytes as they are: `ws` sends them unchecked.
      socket.ws.send(invalid, { binary: false })
      const closed = await socket.closed
      expect({ what, code: closed.code, reason: storeCloseReasonOf(closed.code) }).toEqual({
        what,
        code: 1007,
        reason: 'invalid-utf8',
      })
      // No answer to the frame. A socket past hello is on the document's topic and may get the
      // honest writer's presence relayed meanwhile (timing: it failed CI once), which is no answer.
      const answers = socket.received.filter((m) => m.type !== 'welcome' && m.type !== 'ephemeral')
      expect(answers).toEqual([])
    }
    // Counted with the other bad frames: no entry was ever read from it.
    expect(await rejections(server, 'bad-frame')).toBe(2)
    expect(await rejections(server, 'malformed-entry')).toBe(0)
    expect(await dumpDocument(server.store!, doc.keys.storeTopic)).toEqual(before)
    await honestKeepsWorking(doc)
  })

  it('[ENTRY-3][STORE-7] an entry over STORE_MAX_ENTRY_BYTES within the frame limit is refused entry-too-large', async () => {
    const server = await serve({ storeMaxEntryBytes: 4096 })
    const doc = await honestDoc(server)
    const before = await dumpDocument(server.store!, doc.keys.storeTopic)
    const attacker = await attackerOn(doc)
    for (const size of [4097, 4100, 4150]) {
      const answer = await attacker.put(entryOfSize(doc.keys, size))
      expectReject(answer, 'entry-too-large')
    }
    expect(await rejections(server, 'entry-too-large')).toBe(3)
    expect(await dumpDocument(server.store!, doc.keys.storeTopic)).toEqual(before)
    // At the limit exactly it is stored.
    expectAck(await attacker.put(entryOfSize(doc.keys, 4096)), before!.head + 1)
    await honestKeepsWorking(doc)
  })

  it('[STORE-7] a document over STORE_MAX_DOCUMENT_BYTES refuses further puts with document-full', async () => {
    const server = await serve({ storeMaxEntryBytes: 4096, storeMaxDocumentBytes: 8192 })
    const keys = newKeys()
    const writer = await raw(server)
    writer.hello(keys)
    await writer.welcome()
    for (let i = 0; i < 5; i += 1) expectAck(await writer.put(entryOfSize(keys, 1500)), i + 1)
    const full = await dumpDocument(server.store!, keys.storeTopic)
    const totals = await server.store!.totals()
    expect(totals.bytes).toBe(7500)
    const answer = await writer.put(entryOfSize(keys, 1500))
    expectReject(answer, 'document-full')
    expect(answer.type === 'reject' && answer.detail).toBe('limit 8192 bytes')
    expectReject(await writer.put(entryOfSize(keys, 700)), 'document-full')
    // What still fits is stored.
    expectAck(await writer.put(entryOfSize(keys, 692)), 6)
    expectReject(await writer.put(entryOfSize(keys, 200)), 'document-full')
    expect(await rejections(server, 'document-full')).toBe(3)
    const after = await dumpDocument(server.store!, keys.storeTopic)
    expect(after!.updates.slice(0, 5)).toEqual(full!.updates)
    expect(after!.head).toBe(6)
    expect((await server.store!.totals()).bytes).toBe(8192)
    // Other documents are not affected.
    const doc = await honestDoc(server)
    await honestKeepsWorking(doc)
  })

  it('[STORE-1][STORE-7] a document whose log is larger than the slow-consumer bound is still delivered whole', async () => {
    const server = await serve({
      storeMaxEntryBytes: 4096,
      storeMaxDocumentBytes: 262144,
      maxBufferedBytes: 65536,
    })
    const keys = newKeys()
    const writer = await raw(server)
    writer.hello(keys)
    await writer.welcome()
    const entries = Array.from({ length: 20 }, () => entryOfSize(keys, 4000))
    for (const [i, entry] of entries.entries()) expectAck(await writer.put(entry), i + 1)
    // 80,000 bytes: more than a subscriber may have queued (max(65536, 2 x 4096)).
    expect((await server.store!.totals()).bytes).toBe(80_000)

    // A reader opening the link later asks for all of it, and gets all of it at once.
    const reader = await raw(server)
    reader.hello(keys)
    const welcome = await reader.welcome()
    const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')
    expect(welcome.head).toBe(20)
    expect(welcome.updates.map((u) => u.seq)).toEqual(entries.map((_, i) => i + 1))
    expect(welcome.updates.map((u) => b64(u.entry))).toEqual(entries.map(b64))
    expect(reader.isOpen).toBe(true)
    // And it stays subscribed: the writer's next entry reaches it live.
    const next = entryOfSize(keys, 4000)
    expectAck(await writer.put(next), 21)
    const live = await reader.next(
      'the live entry',
      (m): m is Extract<ServerMessage, { type: 'entry' }> => m.type === 'entry',
    )
    expect({ seq: live.seq, entry: b64(live.entry) }).toEqual({ seq: 21, entry: b64(next) })
    expect(reader.isOpen).toBe(true)
  })

  it('[STORE-7][THREAT-4] more puts than the burst are refused rate-limited, then the bucket refills', async () => {
    const server = await serve({ storeWriteBurst: 5, storeWritesPerSecond: 2 })
    const doc = await honestDoc(server)
    const before = await dumpDocument(server.store!, doc.keys.storeTopic)
    const attacker = await attackerOn(doc)
    const entries = Array.from({ length: 9 }, (_, i) => updateEntry(doc.keys, `Flood ${i}.`))
    // Pipelined: all nine are on the wire before the first answer.
    const ids = entries.map((entry) => attacker.sendPut(entry))
    const answers = await Promise.all(ids.map((id) => attacker.answer(id)))
    const kinds = answers.map((a) => (a.type === 'ack' ? `ack ${a.seq}` : a.reason))
    const head = before!.head
    expect(kinds).toEqual([
      ...[1, 2, 3, 4, 5].map((i) => `ack ${head + i}`),
      ...Array<string>(4).fill('rate-limited'),
    ])
    expect(await rejections(server, 'rate-limited')).toBe(4)
    const stored = await dumpDocument(server.store!, doc.keys.storeTopic)
    expect(stored!.head).toBe(head + 5)
    expect(stored!.updates.slice(0, before!.updates.length)).toEqual(before!.updates)
    // Half a second later one token is back (2 per second).
    await new Promise((resolve) => setTimeout(resolve, 600))
    expectAck(await attacker.put(entries[5]!), head + 6)
    expectReject(await attacker.put(entries[6]!), 'rate-limited')
    expect(attacker.isOpen).toBe(true)
    // The limit is per connection: the honest writer is not slowed by the flood.
    await honestKeepsWorking(doc)
  })

  it('[STORE-7][THREAT-4] /store connections per address are bounded: the excess is closed with 4503 per-address', async () => {
    const server = await serve({ maxConnections: 6, maxConnectionsPerIp: 2 })
    const keys = newKeys()
    const welcomed = async (): Promise<RawStoreSocket> => {
      const socket = await raw(server)
      socket.hello(keys)
      await socket.welcome()
      return socket
    }
    const first = await welcomed()
    const second = await welcomed()
    // The third from 127.0.0.1: accepted and closed at once, whatever it sends.
    const third = await raw(server)
    third.hello(keys)
    const welcomedToo = third.welcome(5_000).then(() => 'welcomed as a third connection')
    expect(await Promise.race([third.closed, welcomedToo])).toEqual({
      code: STORE_CLOSE_CODES['too-many-connections'],
      reason: 'too-many-connections: per-address',
    })
    expect(third.received).toEqual([])
    expect(await rejections(server, 'too-many-connections')).toBe(1)
    expect(server.stats().storeConnections).toBe(2)
    expect([first.isOpen, second.isOpen]).toEqual([true, true])

    // Closing one frees a slot for the next.
    first.close()
    await expect.poll(() => server.stats().storeConnections).toBe(1)
    const fourth = await welcomed()
    expect(fourth.isOpen).toBe(true)
    expectAck(await fourth.put(updateEntry(keys, 'Still served.')), 1)
    expect(server.stats().storeConnections).toBe(2)
  })

  it('[STORE-7] puts pipelined past 64 while the store is busy are refused rate-limited at once, not held', async () => {
    // A store that takes 10 ms a write: the client outruns it by far.
    const storeDir = tempDataDir()
    dirs.push(storeDir)
    const store = slowed(new SqliteStore(storeDir), 10)
    // A bucket so large that it refuses nothing: only the bound on waiting puts can.
    const server = await serve({ storeWriteBurst: 10_000, storeWritesPerSecond: 10_000 }, { store })
    const keys = newKeys()
    const flood = await raw(server)
    flood.hello(keys)
    await flood.welcome()
    const entries = Array.from({ length: 200 }, (_, i) => updateEntry(keys, `Put ${i}.`))
    // Pipelined: all 200 are on the wire before the server reads the first.
    const ids = entries.map((entry) => flood.sendPut(entry))
    const answers = await Promise.all(ids.map((id) => flood.answer(id, 30_000)))
    const acks = answers.filter((a) => a.type === 'ack')
    const refused = answers.filter((a) => a.type === 'reject')
    expect(acks.length + refused.length).toBe(200)
    expect(refused.length).toBeGreaterThan(0)
    expect(new Set(refused.map((r) => r.reason))).toEqual(new Set(['rate-limited']))
    for (const r of refused) expect(r.detail).toMatch(/waiting/)
    // The first 64 are always held for the store, and stored in the order they came.
    expect(acks.length).toBeGreaterThanOrEqual(64)
    expect(acks.map((a) => a.seq)).toEqual(acks.map((_, i) => i + 1))
    expect(await rejections(server, 'rate-limited')).toBe(refused.length)
    expect((await dumpDocument(server.store!, keys.storeTopic))!.head).toBe(acks.length)
    // Once the store has caught up, the same connection is served again.
    expect(flood.isOpen).toBe(true)
    expectAck(await flood.put(updateEntry(keys, 'After the flood.')), acks.length + 1)
  })
})

// A modified always-on peer: a plain WebSocket server speaking the server side of the protocol,
// serving whatever it likes to the app's own replication code.
async function fakePeer(
  onHello: (ws: WebSocket, hello: HelloMessage) => void,
  onConnection: (ws: WebSocket) => void = () => undefined,
): Promise<{ url: string; connections: () => number; puts: () => number }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  fakes.push(wss)
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
  let connections = 0
  let puts = 0
  wss.on('connection', (ws) => {
    connections += 1
    onConnection(ws)
    ws.on('message', (data: Buffer) => {
      const parsed = decodeClientMessage(new Uint8Array(data))
      if (!parsed.ok) return
      if (parsed.value.type === 'hello') onHello(ws, parsed.value)
      else puts += 1
    })
  })
  const { port } = wss.address() as AddressInfo
  return {
    url: `ws://127.0.0.1:${port}/store`,
    connections: () => connections,
    puts: () => puts,
  }
}

const sendFrame = (ws: WebSocket, message: ServerMessage): void =>
  ws.send(encodeServerMessage(message))

/** A pre-filled local document, as a browser that opens a link it already edited. */
function localDoc(text: string): Y.Doc {
  const doc = new Y.Doc()
  doc.getText('t').insert(0, text)
  return doc
}

describe('a modified always-on peer changes nothing in the browser', () => {
  it('[ENTRY-4][THREAT-3] forged, altered and foreign entries served by the peer are dropped and counted', async () => {
    const address = newDocAddress()
    const keys = deriveDocKeys(address)
    const forgedSigner = otherSigner(keys)
    const foreign = newKeys()
    // Signed by the document's key but sealed under a key that is not the document's.
    const wrongCipher = { ...keys, encryptionKey: new Uint8Array(32).fill(9) }
    const bad: Record<string, Uint8Array> = {
      'signed by another key': updateEntry(forgedSigner, 'FORGED-SIGNER'),
      'ciphertext altered': flipByte(updateEntry(keys, 'FORGED-ALTERED'), 40 + 24),
      'signature altered': flipByte(updateEntry(keys, 'FORGED-SIG'), -1),
      'valid entry of another document': updateEntry(foreign, 'FORGED-FOREIGN'),
      'signed but undecryptable': updateEntry(wrongCipher, 'FORGED-UNDECRYPTABLE'),
      truncated: updateEntry(keys, 'FORGED-TRUNCATED').slice(0, 100),
    }
    const badSnapshot = snapshotEntry(forgedSigner, 'FORGED-SNAPSHOT', NO_PARENT, 6)
    const items = Object.values(bad).map((entry, i): SeqEntry => ({ seq: i + 1, entry }))
    const fake = await fakePeer((ws) => {
      // Dense sequence numbers, so that the browser sees no gap to resynchronise.
      sendFrame(ws, {
        type: 'welcome',
        head: 7,
        snapshot: { seq: 7, entry: badSnapshot },
        updates: items,
      })
      // Then live frames, as if other browsers had put them.
      sendFrame(ws, { type: 'entry', seq: 8, entry: updateEntry(forgedSigner, 'FORGED-LIVE') })
      sendFrame(ws, { type: 'entry', seq: 9, entry: updateEntry(foreign, 'FORGED-LIVE-FOREIGN') })
      const awareness = new Awareness(new Y.Doc())
      awareness.setLocalStateField('user', { name: 'Mallory' })
      sendFrame(ws, {
        type: 'ephemeral',
        entry: sealEntry(
          forgedSigner,
          { kind: 'ephemeral', parent: NO_PARENT, covers: 0 },
          encodePayload({
            type: 'awareness',
            sentAt: Date.now(),
            update: encodeAwarenessUpdate(awareness, [awareness.clientID]),
          }),
        ),
      })
      awareness.doc.destroy()
    })
    const warnings: string[] = []
    const browser = client([fake.url], address, {
      doc: localDoc('Local text.'),
      warn: (message) => warnings.push(message),
    })
    const replicator = browser.group.states()[0]!
    const expected = items.length + 1 + 3 // the updates, the snapshot, two live, one presence
    await waitFor('every forged entry was dropped', () => replicator.rejectedEntries >= expected)
    expect(replicator.rejectedEntries).toBe(expected)
    expect(browser.text.toString()).toBe('Local text.')
    expect(browser.awareness.getStates().size).toBe(1)
    expect(warnings.join('\n')).toMatch(/bad-signature/)
    expect(warnings.join('\n')).toMatch(/undecryptable/)
    expect(warnings.join('\n')).toMatch(/malformed-entry/)
    expect(warnings.join('\n')).not.toMatch(/FORGED/)
  })

  it('[ENTRY-4][THREAT-3] among forged entries, only the genuine one is applied', async () => {
    const address = newDocAddress()
    const keys = deriveDocKeys(address)
    const forgedSigner = otherSigner(keys)
    const updates: SeqEntry[] = [
      { seq: 1, entry: updateEntry(forgedSigner, 'FORGED-1 ') },
      { seq: 2, entry: updateEntry(newKeys(), 'FORGED-2 ') },
      { seq: 3, entry: updateEntry(keys, 'GOOD ') },
      { seq: 4, entry: flipByte(updateEntry(keys, 'FORGED-4 '), 70) },
    ]
    const fake = await fakePeer((ws) => {
      sendFrame(ws, { type: 'welcome', head: 4, snapshot: null, updates })
      sendFrame(ws, { type: 'entry', seq: 5, entry: updateEntry(forgedSigner, 'FORGED-5 ') })
      sendFrame(ws, { type: 'entry', seq: 6, entry: updateEntry(keys, 'LIVE ') })
    })
    const browser = client([fake.url], address, { doc: localDoc('Local.') })
    const replicator = browser.group.states()[0]!
    await waitFor('the live genuine entry arrived', () => browser.text.toString().includes('LIVE'))
    expect(replicator.rejectedEntries).toBe(4)
    const text = browser.text.toString()
    expect(text).not.toMatch(/FORGED/)
    expect([...text.matchAll(/GOOD|LIVE|Local\./g)].map((m) => m[0]).sort()).toEqual([
      'GOOD',
      'LIVE',
      'Local.',
    ])
    expect(text.length).toBe('GOOD LIVE Local.'.length)
  })

  it('[STORE-4] a peer closing with 4426 makes the browser report app-outdated and stop reconnecting', async () => {
    const fake = await fakePeer(
      () => undefined,
      (ws) => ws.close(STORE_CLOSE_CODES['unsupported-version'], 'unsupported-version: version 1'),
    )
    const browser = client([fake.url], newDocAddress())
    await waitFor('app-outdated', () => browser.status.get().problem === 'app-outdated')
    expect(browser.group.states()[0]!.state).toBe('outdated')
    expect(browser.status.get().pinned).toBe('off')
    // A reconnect would come within 0.5 s (the first backoff); none comes.
    await new Promise((resolve) => setTimeout(resolve, 1_200))
    expect(fake.connections()).toBe(1)
    expect(browser.status.get().problem).toBe('app-outdated')
  })

  it('[STORE-4] frames of another protocol version from the peer are dropped, never applied', async () => {
    const address = newDocAddress()
    const keys = deriveDocKeys(address)
    const fake = await fakePeer((ws) => {
      const welcome = encodeServerMessage({
        type: 'welcome',
        head: 1,
        snapshot: null,
        updates: [{ seq: 1, entry: updateEntry(keys, 'FROM-V2 ') }],
      })
      welcome[0] = 2
      ws.send(welcome)
      sendFrame(ws, {
        type: 'welcome',
        head: 1,
        snapshot: null,
        updates: [{ seq: 1, entry: updateEntry(keys, 'FROM-V1 ') }],
      })
    })
    const warnings: string[] = []
    const browser = client([fake.url], address, { warn: (message) => warnings.push(message) })
    await waitFor('the v1 welcome applied', () => browser.text.toString().includes('FROM-V1'))
    expect(browser.text.toString()).toBe('FROM-V1 ')
    expect(warnings.join('\n')).toMatch(/unsupported-version/)
    expect(fake.connections()).toBe(1)
  })
})

function pick(topic: string, keys: DocKeys): { topic: string; verifyKey: Uint8Array } {
  return { topic, verifyKey: keys.verifyKey }
}
