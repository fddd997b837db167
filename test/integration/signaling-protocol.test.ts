// SIG-1, SIG-2, SIG-4, SIG-13, SIG-14, SIG-18, SIG-19: the real server process speaks y-webrtc's
// signaling protocol to raw `ws` clients exactly as y-webrtc's client sends it, answers its
// health and metrics endpoints, and serves the built app.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { MemoryBroker, MemoryBus } from '../../server/bus/memory-bus'
import { startServer } from '../../server/server'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'
import {
  assertRoomWorks,
  connect,
  metricValue,
  subscribe,
  type TestClient,
} from './signaling-helpers'

/** How long a poll waits for what the test expects (the project's default is 1 s). */
const WAIT = { timeout: 15_000 }

let server: ServerProcess
let staticDir: string

beforeAll(async () => {
  staticDir = await mkdtemp(path.join(os.tmpdir(), 'meshpad-static-'))
  await mkdir(path.join(staticDir, 'assets'))
  await writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>Meshpad</title>')
  await writeFile(path.join(staticDir, 'assets', 'app-1234.js'), 'console.log(1)')
  server = await startServerProcess({ STATIC_DIR: staticDir })
})

afterAll(async () => {
  expect(await server.stop()).toBe(0)
  await rm(staticDir, { recursive: true, force: true })
})

const open = (): Promise<TestClient> => connect(server.signalUrl)

const publishes = (client: TestClient, topic: string) =>
  client.messages.filter((m) => m['type'] === 'publish' && m['topic'] === topic)

describe('y-webrtc signaling protocol', () => {
  it('[SIG-19] prints exactly one listening line with the bound port', () => {
    const lines = server
      .output()
      .split('\n')
      .filter((line) => line.includes('Meshpad listening on'))
    expect(lines).toEqual([`Meshpad listening on http://127.0.0.1:${server.port}`])
    expect(server.port).toBeGreaterThan(0)
  })

  it('[SIG-1] [SIG-2] relays a publish to every subscriber, sender included, with clients added', async () => {
    const [a, b, c] = [await open(), await open(), await open()]
    // As y-webrtc's SignalingConn does on connect: subscribe to every room, then announce.
    await subscribe(a, ['room-1', 'room-2'])
    await subscribe(b, ['room-1'])
    await subscribe(c, ['room-2'])
    const announce = {
      type: 'publish',
      topic: 'room-1',
      data: { type: 'announce', from: 'peer-a' },
    }
    a.send(announce)
    await b.waitMessage('announce relayed', (m) => m['topic'] === 'room-1')
    await a.waitMessage('announce echoed to its sender', (m) => m['topic'] === 'room-1')
    expect(publishes(b, 'room-1')).toEqual([{ ...announce, clients: 2 }])
    expect(publishes(a, 'room-1')).toEqual([{ ...announce, clients: 2 }])
    // An encrypted y-webrtc signal is a base64 string in `data`; it passes untouched.
    const signal = { type: 'publish', topic: 'room-2', data: 'AAECAwQ=', extra: [1, { x: null }] }
    b.send(signal) // publishing needs no subscription, as with y-webrtc's own server
    await c.waitMessage('signal relayed', (m) => m['topic'] === 'room-2')
    expect(publishes(c, 'room-2')).toEqual([{ ...signal, clients: 2 }])
    expect(publishes(b, 'room-2')).toEqual([])
    await Promise.all([a, b, c].map((client) => client.close()))
  })

  it('[SIG-2] [SIG-21] a burst of publishes arrives whole and in order, with a ping answered meanwhile', async () => {
    const [a, b] = [await open(), await open()]
    await subscribe(a, ['room-burst'])
    await subscribe(b, ['room-burst'])
    // Frames on both sides of the 126-byte header change, sent in one go (within the default
    // burst of 200 and frame limit of 64 KiB) so the server relays them in batched writes.
    const sizes = [0, 1, 60, 90, 120, 1_000, 20_000, 3]
    const sent = Array.from({ length: 150 }, (_, i) => ({
      type: 'publish',
      topic: 'room-burst',
      data: `${i}:${'x'.repeat(sizes[i % sizes.length] ?? 0)}`,
    }))
    for (const [i, frame] of sent.entries()) {
      a.send(frame)
      if (i === 75) b.send({ type: 'ping' })
    }
    const relayed = sent.map((frame) => ({ ...frame, clients: 2 }))
    await expect
      .poll(() => publishes(b, 'room-burst'), { message: 'all relayed to b', ...WAIT })
      .toEqual(relayed)
    await expect
      .poll(() => publishes(a, 'room-burst'), { message: 'all echoed to a', ...WAIT })
      .toEqual(relayed)
    expect(b.messages.filter((m) => m['type'] === 'pong')).toHaveLength(2) // subscribe's + ours
    await Promise.all([a, b].map((client) => client.close()))
  })

  it('[SIG-1] unsubscribe stops delivery; ping is answered with pong', async () => {
    const [a, b] = [await open(), await open()]
    await subscribe(a, ['room-u'])
    await subscribe(b, ['room-u'])
    b.send({ type: 'unsubscribe', topics: ['room-u', 'never-subscribed'] })
    b.send({ type: 'ping' })
    await expect
      .poll(() => b.messages.filter((m) => m['type'] === 'pong'), { message: 'two pongs', ...WAIT })
      .toHaveLength(2)
    a.send({ type: 'publish', topic: 'room-u', data: 1 })
    await a.waitMessage('own publish echoed', (m) => m['topic'] === 'room-u')
    expect(publishes(a, 'room-u')).toEqual([
      { type: 'publish', topic: 'room-u', data: 1, clients: 1 },
    ])
    // b is still connected and working, it just no longer hears room-u.
    await subscribe(b, ['room-v'])
    expect(publishes(b, 'room-u')).toEqual([])
    expect(b.closed()).toBeNull()
    await Promise.all([a, b].map((client) => client.close()))
  })

  it('[SIG-4] empty topics are dropped without closing the connection', async () => {
    const a = await connect(server.signalUrl)
    await subscribe(a, ['', 'room-e', ''])
    a.send({ type: 'publish', topic: '', data: 'lost' })
    a.send({ type: 'publish', topic: 'room-e', data: 'kept' })
    await a.waitMessage('publish on the real topic', (m) => m['topic'] === 'room-e')
    expect(a.messages.filter((m) => m['type'] === 'publish')).toEqual([
      { type: 'publish', topic: 'room-e', data: 'kept', clients: 1 },
    ])
    expect(a.closed()).toBeNull()
    await a.close()
  })

  it('[SIG-1] refuses WebSocket upgrades on any path but /signal', async () => {
    await expect(connect(`ws://127.0.0.1:${server.port}/other`)).rejects.toThrow(/404/)
  })
})

describe('health and metrics', () => {
  it('[SIG-13] /healthz answers ok and /readyz reports the memory bus ready', async () => {
    const health = await fetch(`${server.url}/healthz`)
    expect([health.status, await health.text()]).toEqual([200, 'ok\n'])
    const ready = await fetch(`${server.url}/readyz`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({
      ready: true,
      bus: 'memory',
      busReady: true,
      stopping: false,
    })
  })

  it('[SIG-14] /metrics exposes connections, topics, frames, bytes, rejections and bus latency', async () => {
    const [a, b] = [await open(), await open()]
    await subscribe(a, ['room-m'])
    await subscribe(b, ['room-m'])
    await assertRoomWorks(a, b, 'room-m')
    const bad = await connect(server.signalUrl)
    bad.send('not json')
    await bad.waitClosed()
    const response = await fetch(`${server.url}/metrics`)
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/)
    const text = await response.text()
    expect(metricValue(text, 'meshpad_connections')).toBe(2)
    expect(metricValue(text, 'meshpad_topics')).toBe(1)
    expect(metricValue(text, 'meshpad_frames_in_total', { type: 'publish' })).toBeGreaterThan(0)
    expect(metricValue(text, 'meshpad_frames_in_total', { type: 'subscribe' })).toBeGreaterThan(0)
    expect(metricValue(text, 'meshpad_frames_in_total', { type: 'invalid' })).toBeGreaterThan(0)
    expect(metricValue(text, 'meshpad_frames_out_total')).toBeGreaterThan(0)
    expect(metricValue(text, 'meshpad_bytes_in_total')).toBeGreaterThan(0)
    expect(metricValue(text, 'meshpad_bytes_out_total')).toBeGreaterThan(0)
    expect(
      metricValue(text, 'meshpad_rejections_total', {
        reason: 'bad-frame',
        detail: 'malformed-json',
      }),
    ).toBe(1)
    expect(metricValue(text, 'meshpad_bus_publish_seconds_count')).toBeGreaterThan(0)
    expect(metricValue(text, 'meshpad_process_resident_memory_bytes')).toBeGreaterThan(0)
    await Promise.all([a, b].map((client) => client.close()))
  })
})

function rawGet(
  port: number,
  pathname: string,
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  // fetch() normalises `..` away; a raw request sends the path exactly as an attacker would.
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: pathname }, (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (body += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }))
      })
      .on('error', reject)
  })
}

describe('static app', () => {
  it('[SIG-18] serves index.html at / and for paths without an extension', async () => {
    for (const pathname of ['/', '/index.html', '/d/some/deep/path']) {
      const res = await rawGet(server.port, pathname)
      expect([res.status, res.body, res.headers['content-type']]).toEqual([
        200,
        '<!doctype html><title>Meshpad</title>',
        'text/html; charset=utf-8',
      ])
      expect(res.headers['cache-control']).toBe('no-cache')
    }
  })

  it('[SIG-18] serves fingerprinted assets as immutable and refuses paths outside the directory', async () => {
    const asset = await rawGet(server.port, '/assets/app-1234.js')
    expect([asset.status, asset.body]).toEqual([200, 'console.log(1)'])
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(asset.headers['cache-control']).toContain('immutable')
    expect((await rawGet(server.port, '/assets/missing.js')).status).toBe(404)
    for (const attack of [
      '/../../../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/..%2f..%2fetc%2fpasswd',
      '/..%2f..%2f..%2fetc%2fhost.conf',
      '/%00',
      '/%E0%A4%A',
    ]) {
      const res = await rawGet(server.port, attack)
      // Either refused, or (no extension) the app's own index.html: never a file outside.
      expect(res.body).not.toContain('root:')
      if (res.status === 200) expect(res.body).toBe('<!doctype html><title>Meshpad</title>')
      else expect([400, 404]).toContain(res.status)
    }
  })

  it('[SIG-18] without a build answers 503 saying to run npm run build, and keeps running', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'meshpad-empty-'))
    const unbuilt = await startServerProcess({ STATIC_DIR: empty })
    try {
      expect(unbuilt.output()).toMatch(/app not built/)
      const res = await fetch(unbuilt.url)
      expect(res.status).toBe(503)
      expect(await res.text()).toContain('npm run build')
      expect((await fetch(`${unbuilt.url}/healthz`)).status).toBe(200)
      const client = await connect(unbuilt.signalUrl)
      await subscribe(client, ['still-signals'])
      await client.close()
    } finally {
      expect(await unbuilt.stop()).toBe(0)
      await rm(empty, { recursive: true, force: true })
    }
  })
})

describe('several instances on one bus', () => {
  it('[SIG-2] [SIG-17] a publish reaches subscribers on another instance exactly once', async () => {
    const broker = new MemoryBroker()
    const one = await startServer({ port: 0, logLevel: 'silent' }, { bus: new MemoryBus(broker) })
    const two = await startServer({ port: 0, logLevel: 'silent' }, { bus: new MemoryBus(broker) })
    try {
      const a = await connect(`ws://127.0.0.1:${one.port}/signal`)
      const b = await connect(`ws://127.0.0.1:${two.port}/signal`)
      await subscribe(a, ['shared'])
      await subscribe(b, ['shared'])
      a.send({ type: 'publish', topic: 'shared', data: 'from-one' })
      b.send({ type: 'publish', topic: 'shared', data: 'from-two' })
      await vi.waitFor(() => {
        expect(publishes(a, 'shared'), 'both publishes at a').toHaveLength(2)
        expect(publishes(b, 'shared'), 'both publishes at b').toHaveLength(2)
      }, WAIT)
      await subscribe(a, ['flush']) // one more round trip: nothing else was in flight
      await subscribe(b, ['flush'])
      expect(
        publishes(a, 'shared')
          .map((m) => m['data'])
          .sort(),
      ).toEqual(['from-one', 'from-two'])
      expect(
        publishes(b, 'shared')
          .map((m) => m['data'])
          .sort(),
      ).toEqual(['from-one', 'from-two'])
      await Promise.all([a.close(), b.close()])
    } finally {
      await Promise.all([one.close(), two.close()])
    }
  })
})
