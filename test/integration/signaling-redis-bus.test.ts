// SIG-17, SIG-13: the Redis bus against a real redis-server this test starts on a free loopback
// port (test/helpers/redis.ts). First the bus contract every adapter keeps
// (test/contracts/bus.contract.ts, which the memory bus runs too); then what only Redis has:
// readiness that follows Redis going away and coming back (with subscriptions restored), two
// real servers relaying through it, and a clear start-up failure.
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Topic } from '../../src/protocol/signaling'
import type { BusMessage } from '../../server/bus/bus'
import { RedisBus } from '../../server/bus/redis-bus'
import { createLogger } from '../../server/log'
import { startServer } from '../../server/server'
import { runBusContract } from '../contracts/bus.contract'
import { freePort, startRedis, type RedisProcess } from '../helpers/redis'
import { connect, subscribe } from './signaling-helpers'

const log = createLogger('silent')
const topic = (name: string): Topic => name as Topic
const WAIT = { timeout: 15_000, interval: 50 }

let redis: RedisProcess
let admin: Redis

/** Instances subscribed to a channel, as Redis counts them. */
const subscribers = async (channel: string): Promise<number> => {
  const reply = (await admin.call('PUBSUB', 'NUMSUB', channel)) as [string, number]
  return Number(reply[1])
}

beforeAll(async () => {
  redis = await startRedis()
  admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  admin.on('error', () => {})
  await admin.connect()
})

afterAll(async () => {
  admin.disconnect()
  await redis.stop()
})

// Each case gets its own channel prefix, so no case sees another's channels.
let backends = 0
runBusContract('redis', () => {
  const prefix = `contract-${++backends}:`
  return Promise.resolve({
    newBus: () => new RedisBus({ url: redis.url, prefix, log, connectTimeoutMs: 5_000 }),
    listeners: (name) => subscribers(`${prefix}t:${name}`),
  })
})

describe('Redis bus: outages, servers, start-up', () => {
  it('[SIG-13] [SIG-17] readiness follows Redis; subscriptions come back after an outage', async () => {
    let outage = await startRedis()
    const heard: BusMessage[] = []
    const errors: string[] = []
    const make = async (sink: BusMessage[]) => {
      const instance = new RedisBus({ url: outage.url, prefix: 'test:', log })
      await instance.connect({ message: (m) => sink.push(m), error: (op) => errors.push(op) })
      return instance
    }
    const a = await make(heard)
    const b = await make([])
    const server = await startServer({ port: 0, redisUrl: outage.url, logLevel: 'silent' })
    try {
      a.subscribe(topic('survivor'))
      expect(a.ready()).toBe(true)
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200)
      await outage.stop()
      await vi.waitFor(() => expect(a.ready()).toBe(false), WAIT)
      const readyz = await fetch(`${server.url}/readyz`)
      expect(readyz.status).toBe(503)
      expect(await readyz.json()).toMatchObject({ ready: false, bus: 'redis', busReady: false })
      // Liveness is not readiness: the process is alive and says so.
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
      await b.publish(topic('survivor'), '{"type":"publish","topic":"survivor","lost":true}')
      expect(errors).toContain('publish')
      outage = await startRedis({ port: outage.port })
      await vi.waitFor(() => expect(a.ready() && b.ready()).toBe(true), WAIT)
      await expect.poll(async () => (await fetch(`${server.url}/readyz`)).status, WAIT).toBe(200)
      // The subscription is restored: a publish after recovery is heard (retried until the
      // resubscription has reached Redis).
      await vi.waitFor(async () => {
        await b.publish(topic('survivor'), '{"type":"publish","topic":"survivor","n":1}')
        expect(heard).not.toEqual([])
      }, WAIT)
      expect(heard.every((m) => !m.text.includes('lost'))).toBe(true)
    } finally {
      await Promise.all([a.close(), b.close(), server.close()])
      await outage.stop()
    }
  })

  it('[SIG-2] [SIG-17] two servers over Redis relay between their clients exactly once', async () => {
    const one = await startServer({ port: 0, redisUrl: redis.url, logLevel: 'silent' })
    const two = await startServer({ port: 0, redisUrl: redis.url, logLevel: 'silent' })
    try {
      const a = await connect(`ws://127.0.0.1:${one.port}/signal`)
      const b = await connect(`ws://127.0.0.1:${two.port}/signal`)
      await subscribe(a, ['across'])
      await subscribe(b, ['across'])
      await expect.poll(() => subscribers('meshpad:t:across'), WAIT).toBe(2)
      a.send({ type: 'publish', topic: 'across', data: 'hello' })
      await b.waitMessage('relayed across instances', (m) => m['data'] === 'hello')
      b.send({ type: 'publish', topic: 'across', data: 'back' })
      await a.waitMessage('relayed back', (m) => m['data'] === 'back')
      await subscribe(a, ['flush'])
      await subscribe(b, ['flush'])
      const data = (messages: Record<string, unknown>[]) =>
        messages.filter((m) => m['type'] === 'publish').map((m) => m['data'])
      expect(data(a.messages)).toEqual(['hello', 'back'])
      expect(data(b.messages)).toEqual(['hello', 'back'])
      await Promise.all([a.close(), b.close()])
    } finally {
      await Promise.all([one.close(), two.close()])
    }
  })

  it('[SIG-15] an unreachable Redis fails start-up with a clear message', async () => {
    const unused = await freePort()
    const instance = new RedisBus({
      url: `redis://127.0.0.1:${unused}`,
      prefix: 'test:',
      log,
      connectTimeoutMs: 500,
    })
    await expect(instance.connect({ message: () => {}, error: () => {} })).rejects.toThrow(
      new RegExp(
        `Redis at redis://127.0.0.1:${unused}/? not reachable within 500 ms \\(last error: .*ECONNREFUSED`,
      ),
    )
  })
})
