import { rmSync } from 'node:fs'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { encodeServerMessage } from '../../src/protocol/always-on'
import { parseEntry } from '../../src/protocol/entry'
import { deriveDocKeys } from '../../src/share/keys'
import { newDocAddress, type DocAddress } from '../../src/share/link'
import type { ServerConfig } from '../../server/config'
import { startServer, type RunningServer } from '../../server/server'
import { storeClient, storeUrlOf, type StoreClient } from '../helpers/always-on-client'
import { startPostgres, type PostgresProcess } from '../helpers/postgres'
import {
  dumpDocument,
  flipByte,
  newKeys,
  otherSigner,
  RawStoreSocket,
  tempDataDir,
  updateEntry,
} from '../helpers/raw-store'
import { startRedis, type RedisProcess } from '../helpers/redis'
import { presenceEntry } from '../helpers/presence-entry'
import { waitFor } from '../helpers/wait-for'

// Always-on peers at scale: instances sharing one PostgreSQL store and relaying live through one
// Redis (STORE-10), and a browser keeping a document on several independent peers (STORE-12).
// Real PostgreSQL and redis-server processes on free loopback ports; the servers in-process.

const dirs: string[] = []
const servers: RunningServer[] = []
const clients: StoreClient[] = []

async function serve(overrides: Partial<ServerConfig>): Promise<RunningServer> {
  const dataDir = tempDataDir()
  dirs.push(dataDir)
  const server = await startServer({ port: 0, logLevel: 'silent', dataDir, ...overrides })
  servers.push(server)
  return server
}

function client(servers: readonly RunningServer[], address: DocAddress): StoreClient {
  const c = storeClient(
    servers.map((server) => storeUrlOf(server.url)),
    address,
  )
  clients.push(c)
  return c
}

async function drop(c: StoreClient): Promise<void> {
  clients.splice(clients.indexOf(c), 1)
  await c.destroy()
}

async function stop(server: RunningServer): Promise<void> {
  servers.splice(servers.indexOf(server), 1)
  await server.close()
}

afterEach(async () => {
  for (const c of clients.splice(0)) await c.destroy()
  for (const s of servers.splice(0)) await s.close()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const pinned = (c: StoreClient) => () => c.status.get().pinned === 'pinned'

/** What a fresh reader of only these peers gets. */
async function readText(from: readonly RunningServer[], address: DocAddress): Promise<string> {
  const reader = storeClient(
    from.map((server) => storeUrlOf(server.url)),
    address,
  )
  try {
    await waitFor('reader welcomed', () => reader.status.get().stores === from.length)
    return reader.text.toString()
  } finally {
    await reader.destroy()
  }
}

function names(c: StoreClient): unknown[] {
  return [...c.awareness.getStates().values()].map((state) => state['user'] as unknown)
}

async function relayed(server: RunningServer, kind: 'entry' | 'ephemeral'): Promise<number> {
  const metric = server.metrics.registry.getSingleMetric('meshpad_store_relayed_total')
  const values = metric ? (await metric.get()).values : []
  return values.find((value) => value.labels['kind'] === kind)?.value ?? 0
}

describe('instances sharing PostgreSQL and Redis', () => {
  let postgres: PostgresProcess
  let redis: RedisProcess
  const prefix = 'meshpad-scale-test:'

  beforeAll(async () => {
    ;[postgres, redis] = await Promise.all([startPostgres(), startRedis()])
  })
  afterAll(async () => {
    await Promise.all([postgres?.stop(), redis?.stop()])
  })

  async function twoInstances(): Promise<[RunningServer, RunningServer]> {
    const config = { databaseUrl: postgres.url, redisUrl: redis.url, redisPrefix: prefix }
    return [await serve(config), await serve(config)]
  }

  it('[STORE-10] a reader on B gets what was stored through A; live edits and presence cross both ways', async () => {
    const [a, b] = await twoInstances()
    expect(a.store!.kind).toBe('postgres')
    const address = newDocAddress()

    // Shared store: written through A by someone who left, read through B.
    const writer = client([a], address)
    await waitFor('writer connected', () => writer.status.get().stores === 1)
    writer.text.insert(0, 'Stored through A.')
    await waitFor('writer pinned', pinned(writer))
    await drop(writer)
    expect(await readText([b], address)).toBe('Stored through A.')

    // Live: one browser on each instance, edits relayed over the Redis bus.
    const onA = client([a], address)
    const onB = client([b], address)
    await waitFor(
      'both welcomed',
      () => onA.status.get().stores === 1 && onB.status.get().stores === 1,
    )
    const relayedByB = await relayed(b, 'entry')
    onA.text.insert(onA.text.length, ' Live from A.')
    await waitFor('B sees A live', () => onB.text.toString() === 'Stored through A. Live from A.')
    expect(await relayed(b, 'entry')).toBeGreaterThan(relayedByB)
    onB.text.insert(0, 'B: ')
    await waitFor('A sees B live', () => onA.text.toString() === onB.text.toString())
    expect(onA.text.toString()).toBe('B: Stored through A. Live from A.')

    // Presence crosses too, never stored.
    const entries = (await a.store!.totals()).entries
    onA.awareness.setLocalStateField('user', { name: 'Ada on A' })
    await waitFor('B hears A through the relay', () => onB.status.get().relayed === 1)
    // Presence is signed asynchronously (PRESENCE-1): the name follows the first state.
    await expect.poll(() => names(onB)).toContainEqual({ name: 'Ada on A' })
    onB.awareness.setLocalStateField('user', { name: 'Bo on B' })
    await waitFor('A hears B through the relay', () => onA.status.get().relayed === 1)
    await expect.poll(() => names(onA)).toContainEqual({ name: 'Bo on B' })
    expect((await b.store!.totals()).entries).toBe(entries)
    // Both instances stayed on the same log: no entry was stored twice.
    const dump = await dumpDocument(a.store!, deriveDocKeys(address).storeTopic)
    expect(dump!.updates.map((u) => u.seq)).toEqual(
      Array.from({ length: dump!.head }, (_, i) => i + 1),
    )
  })

  it('[STORE-10][THREAT-2] frames injected into the store relay channel are dropped unless signed by the document key', async () => {
    const [a, b] = await twoInstances()
    const address = newDocAddress()
    const keys = deriveDocKeys(address)
    const writer = client([a], address)
    await waitFor('writer connected', () => writer.status.get().stores === 1)
    writer.text.insert(0, 'Honest text.')
    await waitFor('writer pinned', pinned(writer))
    const subscriber = client([b], address)
    await waitFor('subscriber has the text', () => subscriber.text.toString() === 'Honest text.')
    const before = await dumpDocument(b.store!, keys.storeTopic)

    // Another process on the same Redis, publishing on the channel B listens to, in the bus's
    // envelope (`<origin instance id>\n<base64 frame>`).
    const intruder = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 })
    await intruder.connect()
    try {
      const channel = `${prefix}store/t:${keys.storeTopic}`
      const publish = (body: string): Promise<number> =>
        intruder.publish(channel, `intruder\n${body}`)
      const frame = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')
      const entryFrame = (seq: number, entry: Uint8Array): string =>
        frame(encodeServerMessage({ type: 'entry', seq, entry }))

      // A genuine presence entry first: proves the channel and envelope are the ones B uses
      // (a wrong name would make every check below pass for nothing).
      expect(
        await publish(
          frame(
            encodeServerMessage({
              type: 'ephemeral',
              entry: await presenceEntry(keys, 'Genuine 1'),
            }),
          ),
        ),
      ).toBeGreaterThan(0)
      await waitFor('the genuine presence arrived', () =>
        names(subscriber).some((n) => JSON.stringify(n) === '{"name":"Genuine 1"}'),
      )

      const head = before!.head
      const forged = otherSigner(keys)
      const versionTwo = encodeServerMessage({
        type: 'entry',
        seq: head + 1,
        entry: updateEntry(keys, 'FORGED-V2 '),
      })
      versionTwo[0] = 2
      const injected: Record<string, string> = {
        'not base64': '%%% not base64 at all %%%',
        'random bytes': frame(new Uint8Array(200).map((_, i) => (i * 37) & 0xff)),
        'an ack frame': frame(encodeServerMessage({ type: 'ack', requestId: 1, seq: head + 1 })),
        'protocol version 2': frame(versionTwo),
        'entry signed by another key': entryFrame(head + 1, updateEntry(forged, 'FORGED-1 ')),
        'valid entry of another document': entryFrame(
          head + 1,
          updateEntry(newKeys(), 'FORGED-2 '),
        ),
        'tampered genuine entry': entryFrame(
          head + 1,
          flipByte(updateEntry(keys, 'FORGED-3 '), -1),
        ),
        'truncated entry': entryFrame(head + 1, updateEntry(keys, 'FORGED-4 ').slice(0, 90)),
        'forged presence': frame(
          encodeServerMessage({
            type: 'ephemeral',
            entry: await presenceEntry(forged, 'Mallory'),
          }),
        ),
      }
      const relayedBefore = await relayed(b, 'entry')
      for (const body of Object.values(injected)) await publish(body)
      // Published without an origin line: the bus itself drops it.
      await intruder.publish(
        channel,
        frame(
          encodeServerMessage({
            type: 'entry',
            seq: head + 1,
            entry: updateEntry(forged, 'FORGED-5 '),
          }),
        ),
      )
      // Redis delivers one publisher's messages in order: once this arrives, B has handled all.
      await publish(
        frame(
          encodeServerMessage({ type: 'ephemeral', entry: await presenceEntry(keys, 'Genuine 2') }),
        ),
      )
      await waitFor('the second genuine presence arrived', () =>
        names(subscriber).some((n) => JSON.stringify(n) === '{"name":"Genuine 2"}'),
      )

      expect(subscriber.text.toString()).toBe('Honest text.')
      // B dropped them itself: not one reached the browser (which would have counted it).
      expect(subscriber.group.states()[0]!.rejectedEntries).toBe(0)
      expect(names(subscriber)).not.toContainEqual({ name: 'Mallory' })
      expect(await relayed(b, 'entry')).toBe(relayedBefore)
      expect(await dumpDocument(b.store!, keys.storeTopic)).toEqual(before)
    } finally {
      intruder.disconnect()
    }

    // The relay still works for the document's own writers.
    writer.text.insert(writer.text.length, ' More.')
    await waitFor('B still relays', () => subscriber.text.toString() === 'Honest text. More.')
  })

  it('[STORE-10][THREAT-2][ENTRY-4] a genuine old entry replayed on the relay channel under the next sequence number does not make a reader miss the next edit', async () => {
    const [a, b] = await twoInstances()
    const address = newDocAddress()
    const keys = deriveDocKeys(address)
    const writer = client([a], address)
    await waitFor('writer connected', () => writer.status.get().stores === 1)
    writer.text.insert(0, 'First.')
    await waitFor('writer pinned', pinned(writer))
    const reader = client([b], address)
    await waitFor('reader has the text', () => reader.text.toString() === 'First.')
    const stored = await dumpDocument(a.store!, keys.storeTopic)
    const head = stored!.head

    const intruder = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 })
    await intruder.connect()
    try {
      const channel = `${prefix}store/t:${keys.storeTopic}`
      const publish = (message: Parameters<typeof encodeServerMessage>[0]): Promise<number> =>
        intruder.publish(
          channel,
          `intruder\n${Buffer.from(encodeServerMessage(message)).toString('base64')}`,
        )
      // Signed by the document's key, so B relays it: only its sequence number is a lie.
      const old = new Uint8Array(Buffer.from(stored!.updates[0]!.bytes, 'base64'))
      expect(await publish({ type: 'entry', seq: head + 1, entry: old })).toBeGreaterThan(0)
      // Redis delivers one publisher's messages in order: once this arrives, so has the replay.
      await publish({ type: 'ephemeral', entry: await presenceEntry(keys, 'After the replay') })
      await waitFor('the presence after the replay arrived', () =>
        names(reader).some((n) => JSON.stringify(n) === '{"name":"After the replay"}'),
      )
    } finally {
      intruder.disconnect()
    }

    // The writer's next real edit is stored under that very sequence number.
    writer.text.insert(writer.text.length, ' Second.')
    await waitFor('writer pinned again', pinned(writer))
    expect((await dumpDocument(a.store!, keys.storeTopic))!.head).toBe(head + 1)
    await expect.poll(() => reader.text.toString(), { timeout: 5_000 }).toBe('First. Second.')
    // The replay was dropped and counted, not taken for entry head+1.
    expect(reader.group.states()[0]!.rejectedEntries).toBe(1)
    expect(await readText([b], address)).toBe('First. Second.')
  })

  it('[MOVE-2] [MOVE-3] [STORE-10] a tombstone put through A ends the topic on B too: subscribers of B are told, B refuses old-key writes and presence', async () => {
    const [a, b] = await twoInstances()
    const address = newDocAddress()
    const keys = deriveDocKeys(address)
    const mover = client([a], address)
    const told: number[] = []
    const onB = storeClient([storeUrlOf(b.url)], address, { onMoved: (at) => told.push(at) })
    clients.push(onB)
    mover.text.insert(0, 'Shared. ')
    await waitFor('B has it live', () => onB.text.toString() === 'Shared. ')
    // A raw client on B, welcomed before the move: B learns of it only through the bus.
    const socket = await RawStoreSocket.open(storeUrlOf(b.url))
    try {
      socket.hello(keys)
      await socket.welcome()
      expect(await mover.group.publishTombstone()).toBe(true)
      await waitFor('B told through the bus', () => told.length === 1)
      const live = await socket.next(
        'the tombstone, live',
        (message): message is Extract<typeof message, { type: 'entry' }> =>
          message.type === 'entry',
      )
      expect(parseEntry(live.entry, 1 << 20)).toMatchObject({
        ok: true,
        value: { kind: 'tombstone' },
      })
      for (const entry of [updateEntry(keys, 'late '), await presenceEntry(keys, 'Late')]) {
        const answer = await socket.put(entry)
        expect(answer.type === 'reject' ? answer.reason : 'ack').toBe('moved')
      }
    } finally {
      socket.close()
    }
  })
})

describe('a document kept on several independent always-on peers', () => {
  it('[STORE-12] a browser writes to every peer and reads from any: losing one loses nothing', async () => {
    const [a, b] = [await serve({}), await serve({})]
    const address = newDocAddress()
    const keys = deriveDocKeys(address)
    const writer = client([a, b], address)
    await waitFor('writer on both', () => writer.status.get().stores === 2)
    writer.text.insert(0, 'Kept twice.')
    await waitFor('writer pinned', pinned(writer))
    await waitFor(
      'both peers store it',
      async () =>
        (await a.store!.read(keys.storeTopic, { snapshotId: null, since: 0 })) !== null &&
        (await b.store!.read(keys.storeTopic, { snapshotId: null, since: 0 })) !== null,
    )
    expect(await readText([a], address)).toBe('Kept twice.')
    expect(await readText([b], address)).toBe('Kept twice.')
    await drop(writer)

    await stop(a)
    const reader = client([a, b], address)
    await waitFor('reader has it from B', () => reader.text.toString() === 'Kept twice.')
    expect(reader.status.get().stores).toBe(1)
    reader.text.insert(reader.text.length, ' Answered.')
    await waitFor('answer pinned on the surviving peer', pinned(reader))
    expect(await readText([b], address)).toBe('Kept twice. Answered.')
  })

  it('[STORE-12] what one peer lacks is uploaded to it by a browser that reads from another', async () => {
    const [a, b] = [await serve({}), await serve({})]
    const address = newDocAddress()
    const keys = deriveDocKeys(address)
    const onlyA = client([a], address)
    await waitFor('writer connected', () => onlyA.status.get().stores === 1)
    onlyA.text.insert(0, 'Only on A.')
    await waitFor('writer pinned on A', pinned(onlyA))
    await drop(onlyA)
    expect(await b.store!.read(keys.storeTopic, { snapshotId: null, since: 0 })).toBeNull()

    const both = client([a, b], address)
    await waitFor('both connected', () => both.status.get().stores === 2)
    await waitFor('the browser read it from A', () => both.text.toString() === 'Only on A.')
    await waitFor(
      'B got it from the browser',
      async () => (await b.store!.read(keys.storeTopic, { snapshotId: null, since: 0 })) !== null,
      { timeoutMs: 10_000 },
    )
    await drop(both)
    await stop(a)
    expect(await readText([b], address)).toBe('Only on A.')
  })
})
