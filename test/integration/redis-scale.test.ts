import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { waitForConvergence, waitForPeers } from '../helpers/node-peer/converge.js'
import { crashServer, isRunning } from '../helpers/node-peer/crash-server.js'
import {
  killAllNodePeers,
  startNodePeer,
  startPeersInTurn,
  type NodePeer,
  type NodePeerOptions,
} from '../helpers/node-peer/index.js'
import { startRedis, type RedisProcess } from '../helpers/redis.js'
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js'

// Scale-out through a real redis-server on a free loopback port: server instances share topics
// over Redis pub/sub, so unmodified y-webrtc peers on different instances find each other, and a
// room outlives the instance it started on.
let redis: RedisProcess
const servers: ServerProcess[] = []

async function startInstance(): Promise<ServerProcess> {
  const server = await startServerProcess({ REDIS_URL: redis.url })
  servers.push(server)
  return server
}

async function signalingUp(peer: NodePeer, url: string, up: boolean): Promise<void> {
  await expect
    .poll(async () => (await peer.status()).signaling[url], {
      message: `${peer.name}'s signaling socket to ${url} is ${up ? 'open' : 'closed'}`,
      timeout: 15_000,
    })
    .toBe(up)
}

beforeAll(async () => {
  redis = await startRedis()
})

afterEach(async () => {
  await killAllNodePeers()
})

afterAll(async () => {
  await killAllNodePeers()
  await Promise.all(servers.filter(isRunning).map((server) => server.stop()))
  await redis?.stop()
})

describe('signaling scale-out over Redis', () => {
  it('[SIG-SCALE-1] y-webrtc peers on different instances find each other through Redis and sync both ways', async () => {
    const [one, two] = await Promise.all([startInstance(), startInstance()])
    const room = 'scale-two-instances'
    const [a, b] = await startPeersInTurn([
      { name: 'A@1', room, password: 'pw', signaling: [one.signalUrl] },
      { name: 'B@2', room, password: 'pw', signaling: [two.signalUrl] },
    ])

    await a.insert('typed on instance 1. ')
    await Promise.all([waitForPeers(a, 1), waitForPeers(b, 1)])
    await waitForConvergence([a, b], (text) => text === 'typed on instance 1. ')
    await b.insert('typed on instance 2.')
    expect(await waitForConvergence([a, b], (text) => text.endsWith('2.'))).toBe(
      'typed on instance 1. typed on instance 2.',
    )

    // Concurrent edits at the same place converge too.
    await Promise.all([a.insert('[A]', 0), b.insert('[B]', 0)])
    const text = await waitForConvergence([a, b], (t) => t.includes('[A]') && t.includes('[B]'))
    expect(text.endsWith('typed on instance 1. typed on instance 2.')).toBe(true)
    expect(text.length).toBe('typed on instance 1. typed on instance 2.'.length + 6)
  })

  it('[SIG-SCALE-2] killing the instance a peer signals through loses no room: it fails over to the other instance, finds its peer again, and a peer joining after the kill syncs', async () => {
    const [one, two] = await Promise.all([startInstance(), startInstance()])
    const room = 'scale-failover'
    // One signaling socket at a time, next URL when it dies (see NodePeer's `failover` mode:
    // y-webrtc's own "connect to every URL" breaks on instances that share a bus, because each
    // signaling message then arrives once per socket and a duplicate answer kills the offer).
    const options = (name: string, signaling: string[]): NodePeerOptions => ({
      name,
      room,
      password: 'pw',
      signaling,
      signalingMode: 'failover',
    })
    const [a, b] = await startPeersInTurn([
      options('A@1', [one.signalUrl, two.signalUrl]),
      options('B@2', [two.signalUrl, one.signalUrl]),
    ])
    await a.insert('before the crash. ')
    await Promise.all([waitForPeers(a, 1), waitForPeers(b, 1)])
    await waitForConvergence([a, b], (text) => text === 'before the crash. ')

    await crashServer(one)
    // A moves to instance 2; y-webrtc tears down its connections on that move, so A and B
    // meet again only through the surviving instance.
    await signalingUp(a, two.signalUrl, true)
    expect((await a.status()).failovers).toBe(1)
    await Promise.all([waitForPeers(a, 1), waitForPeers(b, 1)])
    await a.insert('A, after the crash. ')
    await b.insert('B, after the crash. ')
    await waitForConvergence([a, b], (t) => t.includes('A, after') && t.includes('B, after'))

    // A peer that arrives after the crash, with the dead instance first in its list.
    const c = await startNodePeer(options('C', [one.signalUrl, two.signalUrl]))
    await waitForPeers(c, 2)
    await c.insert('C joined late.')
    const text = await waitForConvergence([a, b, c], (t) => t.includes('C joined late.'))
    expect(text.startsWith('before the crash. ')).toBe(true)
    expect(text).toContain('A, after the crash. ')
    expect(text).toContain('B, after the crash. ')
    expect((await c.status()).signaling).toEqual({ [two.signalUrl]: true })
  })
})
