// SIG-17, SIG-13: the Redis bus alone, against a real redis-server this test starts on a free
// loopback port: exactly-once delivery between instances and never back to the publisher,
// channels held only while a topic has local subscribers, readiness that follows Redis going
// away and coming back (with subscriptions restored), and a clear start-up failure.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import net from 'node:net'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Topic } from '../../src/protocol/signaling'
import type { BusMessage } from '../../server/bus/bus'
import { RedisBus } from '../../server/bus/redis-bus'
import { createLogger } from '../../server/log'
import { startServer } from '../../server/server'
import { waitFor } from '../helpers/wait-for'
import { connect, subscribe } from './signaling-helpers'

const REDIS_SERVER = '/usr/bin/redis-server'
const log = createLogger('silent')
const topic = (name: string): Topic => name as Topic

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function startRedis(port: number): Promise<ChildProcess> {
  if (!existsSync(REDIS_SERVER)) {
    throw new Error(`${REDIS_SERVER} not found: install it with \`apt-get install redis-server\``)
  }
  const child = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let output = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  await waitFor(`redis-server ready on ${port} (output: ${output})`, () => {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${output}`)
    return output.includes('Ready to accept connections')
  })
  return child
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGKILL')
  await exited
}

let port: number
let redis: ChildProcess
let url: string
let admin: Redis

async function bus(heard: BusMessage[] = [], errors: string[] = []): Promise<RedisBus> {
  const instance = new RedisBus({ url, prefix: 'test:', log, connectTimeoutMs: 5_000 })
  await instance.connect({ message: (m) => heard.push(m), error: (op) => errors.push(op) })
  return instance
}

const subscribers = async (name: string): Promise<number> => {
  const reply = (await admin.call('PUBSUB', 'NUMSUB', `test:t:${name}`)) as [string, number]
  return Number(reply[1])
}

beforeAll(async () => {
  port = await freePort()
  url = `redis://127.0.0.1:${port}`
  redis = await startRedis(port)
  admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  admin.on('error', () => {})
  await admin.connect()
})

afterAll(async () => {
  admin.disconnect()
  await stopRedis(redis)
})

describe('SIG-17 Redis bus', () => {
  it('SIG-17 delivers a publish exactly once to each other subscribed instance, never back', async () => {
    const heardA: BusMessage[] = []
    const heardB: BusMessage[] = []
    const heardC: BusMessage[] = []
    const a = await bus(heardA)
    const b = await bus(heardB)
    const c = await bus(heardC)
    try {
      a.subscribe(topic('room'))
      b.subscribe(topic('room'))
      c.subscribe(topic('elsewhere'))
      await waitFor('both instances on the channel', async () => (await subscribers('room')) === 2)
      await a.publish(topic('room'), '{"type":"publish","topic":"room","n":1}')
      await b.publish(topic('room'), '{"type":"publish","topic":"room","n":2}')
      await waitFor('each heard the other', () => heardA.length === 1 && heardB.length === 1)
      // A round trip through Redis after the publishes: anything still in flight has arrived.
      await c.publish(topic('room'), '{"type":"publish","topic":"room","n":3}')
      await waitFor('third publish heard by both', () => heardA.length === 2 && heardB.length === 2)
      expect(heardA.map((m) => m.text)).toEqual([
        '{"type":"publish","topic":"room","n":2}',
        '{"type":"publish","topic":"room","n":3}',
      ])
      expect(heardB.map((m) => m.text)).toEqual([
        '{"type":"publish","topic":"room","n":1}',
        '{"type":"publish","topic":"room","n":3}',
      ])
      expect(heardA.every((m) => m.topic === 'room')).toBe(true)
      expect(heardC).toEqual([])
    } finally {
      await Promise.all([a.close(), b.close(), c.close()])
    }
  })

  it('SIG-17 holds a Redis channel only while the topic is subscribed', async () => {
    const heard: BusMessage[] = []
    const a = await bus(heard)
    const b = await bus()
    try {
      expect(await subscribers('brief')).toBe(0)
      a.subscribe(topic('brief'))
      a.subscribe(topic('brief'))
      await waitFor('subscribed once', async () => (await subscribers('brief')) === 1)
      a.unsubscribe(topic('brief'))
      await waitFor('unsubscribed', async () => (await subscribers('brief')) === 0)
      await b.publish(topic('brief'), '{"type":"publish","topic":"brief"}')
      await a.close()
      expect(heard).toEqual([])
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })

  it('SIG-13 SIG-17 readiness follows Redis; subscriptions come back after an outage', async () => {
    const outagePort = await freePort()
    let outageRedis = await startRedis(outagePort)
    const outageUrl = `redis://127.0.0.1:${outagePort}`
    const heard: BusMessage[] = []
    const errors: string[] = []
    const make = async (sink: BusMessage[]) => {
      const instance = new RedisBus({ url: outageUrl, prefix: 'test:', log })
      await instance.connect({ message: (m) => sink.push(m), error: (op) => errors.push(op) })
      return instance
    }
    const a = await make(heard)
    const b = await make([])
    const server = await startServer({ port: 0, redisUrl: outageUrl, logLevel: 'silent' })
    try {
      a.subscribe(topic('survivor'))
      expect(a.ready()).toBe(true)
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200)
      await stopRedis(outageRedis)
      await waitFor('bus not ready', () => !a.ready())
      const readyz = await fetch(`${server.url}/readyz`)
      expect(readyz.status).toBe(503)
      expect(await readyz.json()).toMatchObject({ ready: false, bus: 'redis', busReady: false })
      // Liveness is not readiness: the process is alive and says so.
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
      await b.publish(topic('survivor'), '{"type":"publish","topic":"survivor","lost":true}')
      expect(errors).toContain('publish')
      outageRedis = await startRedis(outagePort)
      await waitFor('bus ready again', () => a.ready() && b.ready(), { timeoutMs: 15_000 })
      await waitFor(
        'server ready again',
        async () => (await fetch(`${server.url}/readyz`)).status === 200,
      )
      await waitFor('publish after recovery heard', async () => {
        await b.publish(topic('survivor'), '{"type":"publish","topic":"survivor","n":1}')
        return heard.length > 0
      })
      expect(heard.every((m) => !m.text.includes('lost'))).toBe(true)
    } finally {
      await Promise.all([a.close(), b.close(), server.close()])
      await stopRedis(outageRedis)
    }
  })

  it('SIG-2 SIG-17 two servers over Redis relay between their clients exactly once', async () => {
    const one = await startServer({ port: 0, redisUrl: url, logLevel: 'silent' })
    const two = await startServer({ port: 0, redisUrl: url, logLevel: 'silent' })
    try {
      const a = await connect(`ws://127.0.0.1:${one.port}/signal`)
      const b = await connect(`ws://127.0.0.1:${two.port}/signal`)
      await subscribe(a, ['across'])
      await subscribe(b, ['across'])
      await waitFor('channel held by both instances', async () => {
        const reply = (await admin.call('PUBSUB', 'NUMSUB', 'meshpad:t:across')) as [string, number]
        return Number(reply[1]) === 2
      })
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

  it('SIG-15 an unreachable Redis fails start-up with a clear message', async () => {
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
