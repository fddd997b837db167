// y-webrtc's private parts that Meshpad's adapter relies on (src/sync/webrtc.ts,
// src/sync/own-broadcasts.ts, src/sync/gate/tap-ywebrtc.ts). Its typings expose none of them,
// so nothing but this test notices if an upgrade renames or reshapes one: the failover, the
// reconnect watchdog, the fresh peer id on resume, the peer count, the own-broadcast filter and
// the gate's tap would then break silently. y-webrtc is pinned exactly in package.json for the
// same reason. A failure here names the part that moved.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import wrtc from '@roamhq/wrtc'
import * as Y from 'yjs'
import { WebrtcConn, WebrtcProvider } from 'y-webrtc'
import { WebSocket as NodeWebSocket } from 'ws'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { FakeSignaling } from '../../helpers/fake-signaling'

// Node 20 has no global WebSocket; y-webrtc's signaling client (lib0/websocket) uses the global.
Object.assign(globalThis, { WebSocket: NodeWebSocket })

const readJson = (file: string | URL): unknown => JSON.parse(readFileSync(file, 'utf8'))
// y-webrtc's `exports` hides its package.json; its CommonJS entry is dist/y-webrtc.cjs.
const entry = createRequire(import.meta.url).resolve('y-webrtc')
const installed = (
  readJson(path.join(path.dirname(entry), '..', 'package.json')) as {
    version: string
  }
).version
const pinned = (
  readJson(new URL('../../../package.json', import.meta.url)) as {
    dependencies: Record<string, string>
  }
).dependencies['y-webrtc']

const WAIT = { timeout: 5_000, interval: 20 }

/** Asserts one assumption about y-webrtc, saying which part of Meshpad depends on it. */
function holds(ok: boolean, what: string, usedBy: string): void {
  expect(
    ok,
    `y-webrtc ${installed}: ${what} no longer holds; ${usedBy} depends on it. Adapt that code ` +
      'before upgrading y-webrtc (or stay on the pinned version).',
  ).toBe(true)
}

const isFunction = (value: unknown): boolean => typeof value === 'function'

interface SignalingConnShape {
  url: unknown
  connected: unknown
  shouldConnect: unknown
  providers: unknown
  connect: unknown
  disconnect: unknown
  on: (event: string, listener: () => void) => void
  off: unknown
}
interface RoomShape {
  peerId: unknown
  name: unknown
  webrtcConns: unknown
  bcConns: unknown
  bcconnected: unknown
  _bcSubscriber: unknown
}

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

let rooms = 0
async function setUp() {
  const server = await FakeSignaling.start()
  cleanups.push(() => server.stop())
  const doc = new Y.Doc()
  const roomName = `ywebrtc-internals-${process.pid}-${++rooms}`
  // No password, so the test can read what y-webrtc announces on the signaling server.
  const provider = new WebrtcProvider(roomName, doc, {
    signaling: [server.url],
    peerOpts: { wrtc, config: { iceServers: [] } },
  })
  cleanups.push(() => {
    provider.disconnect()
    provider.destroy()
    doc.destroy()
  })
  await provider.key
  return { server, provider, roomName }
}

describe('y-webrtc internals the adapter relies on', () => {
  it('y-webrtc is pinned to one exact version, and that version is installed', () => {
    holds(
      pinned !== undefined && /^\d+\.\d+\.\d+$/.test(pinned),
      `package.json pins an exact version (found "${String(pinned)}")`,
      'every check in this file',
    )
    holds(pinned === installed, `node_modules holds the pinned ${String(pinned)}`, 'npm ci')
  })

  it('provider.signalingUrls and provider.signalingConns: one socket object per URL, with its state and events', async () => {
    const { server, provider } = await setUp()
    const urls = provider.signalingUrls as unknown
    holds(
      Array.isArray(urls) && urls.length === 1 && urls[0] === server.url,
      'provider.signalingUrls is the array of URLs given as `signaling`',
      'webrtc.ts switchSignaling (it assigns it, then calls connect())',
    )
    const conns = provider.signalingConns as unknown
    holds(
      Array.isArray(conns) && conns.length === 1,
      'provider.signalingConns is an array with one entry per signaling URL',
      'webrtc.ts signalingConns(), failOver(), refresh()',
    )
    const conn = (conns as SignalingConnShape[])[0] as SignalingConnShape
    holds(conn.url === server.url, 'a signaling conn has `url`', 'webrtc.ts failOver()')
    holds(
      typeof conn.connected === 'boolean' && typeof conn.shouldConnect === 'boolean',
      'a signaling conn has boolean `connected` and `shouldConnect`',
      'webrtc.ts refresh(), failOver(), reviveSignaling()',
    )
    holds(
      conn.providers instanceof Set && conn.providers.has(provider),
      'a signaling conn lists its providers in the Set `providers`',
      'webrtc.ts switchSignaling (detaches this provider from the old socket)',
    )
    holds(
      [conn.connect, conn.disconnect, conn.on, conn.off].every(isFunction),
      'a signaling conn has connect(), disconnect(), on() and off()',
      'webrtc.ts (socket events drive the status; a stopped socket is restarted)',
    )

    await vi.waitFor(() => expect(conn.connected).toBe(true), WAIT)
    let disconnects = 0
    conn.on('disconnect', () => disconnects++)
    await server.stop()
    await vi.waitFor(() => expect(disconnects).toBeGreaterThan(0), WAIT)
    holds(
      conn.connected === false,
      "`connected` turns false when the socket closes, with a 'disconnect' event",
      'webrtc.ts refresh() and failOver()',
    )

    const stoppable = conn as unknown as { disconnect(): void; connect(): void }
    stoppable.disconnect()
    holds(
      conn.shouldConnect === false,
      'disconnect() leaves `shouldConnect` false',
      'webrtc.ts reviveSignaling()',
    )
    stoppable.connect()
    holds(
      conn.shouldConnect === true,
      'connect() sets `shouldConnect` again',
      'webrtc.ts reviveSignaling()',
    )
  })

  it('provider.connect() attaches a socket for each URL in provider.signalingUrls', async () => {
    const { provider } = await setUp()
    const other = await FakeSignaling.start()
    cleanups.push(() => other.stop())
    provider.signalingConns = []
    provider.signalingUrls = [other.url]
    provider.connect()
    const conns = provider.signalingConns as unknown as SignalingConnShape[]
    holds(
      conns.length === 1 && conns[0]?.url === other.url,
      'connect() reads provider.signalingUrls and appends their sockets to signalingConns',
      'webrtc.ts switchSignaling',
    )
    await vi.waitFor(() => expect(other.connections).toBe(1), WAIT)
  })

  it('provider.room: a writable peerId that the next announce uses, and webrtcConns and bcConns', async () => {
    const { server, provider, roomName } = await setUp()
    const room = provider.room as unknown as RoomShape | null
    holds(room !== null, 'provider.room is set once provider.key resolves', 'webrtc.ts room()')
    const { peerId, webrtcConns, bcConns } = room as RoomShape
    holds(typeof peerId === 'string', 'room.peerId is a string', 'webrtc.ts connect()')
    holds(
      webrtcConns instanceof Map && bcConns instanceof Set,
      'room.webrtcConns is a Map and room.bcConns a Set',
      'webrtc.ts refresh() (peer count) and expireStuckConnections()',
    )
    await vi.waitFor(() => expect(server.plain(roomName, 'announce')).not.toEqual([]), WAIT)

    // What WebrtcAdapter.connect() does on resume: a fresh id, then reconnect.
    provider.disconnect()
    ;(room as RoomShape).peerId = 'a-fresh-peer-id'
    provider.connect()
    await vi.waitFor(
      () =>
        expect(server.plain(roomName, 'announce').map((data) => data['from'])).toContain(
          'a-fresh-peer-id',
        ),
      WAIT,
    )
  })

  it('a WebrtcConn has connected, closed and destroy(); destroying it drops its room entry; peerOpts reach simple-peer', async () => {
    const { provider } = await setUp()
    const room = provider.room as unknown as RoomShape & { webrtcConns: Map<string, unknown> }
    const signalingConn: unknown = provider.signalingConns[0]
    // A connection as y-webrtc makes on a peer's offer (not the initiator: nothing is sent).
    const conn = new WebrtcConn(signalingConn as never, false, 'some-remote-peer', room as never)
    const shape = conn as unknown as {
      connected: unknown
      closed: unknown
      destroy: unknown
      peer: { config?: { iceServers?: unknown } }
    }
    holds(
      shape.connected === false && shape.closed === false && isFunction(shape.destroy),
      'a WebrtcConn has boolean `connected` and `closed` and a destroy() method',
      'webrtc.ts expireStuckConnections() and refresh()',
    )
    holds(
      JSON.stringify(shape.peer.config?.iceServers) === '[]',
      'provider.peerOpts are spread into simple-peer (here config.iceServers)',
      'webrtc.ts (the chunked transport as peerOpts.wrtc, WebrtcOptions.iceServers)',
    )
    room.webrtcConns.set('some-remote-peer', conn)
    conn.destroy()
    await vi.waitFor(() => expect(shape.closed).toBe(true), WAIT)
    holds(
      !room.webrtcConns.has('some-remote-peer'),
      'a destroyed WebrtcConn closes and is removed from room.webrtcConns',
      'webrtc.ts expireStuckConnections() (y-webrtc then announces again)',
    )
  })

  it('room._bcSubscriber is read again on every connect, so a replacement stays in place', async () => {
    const { provider } = await setUp()
    const room = provider.room as unknown as RoomShape
    holds(
      typeof room.name === 'string' && room.bcconnected === true && isFunction(room._bcSubscriber),
      'room has `name`, `bcconnected` and the function `_bcSubscriber`',
      'own-broadcasts.ts ignoreOwnBroadcasts()',
    )
    const heard: unknown[] = []
    provider.disconnect()
    room._bcSubscriber = (data: ArrayBuffer, origin: unknown) => heard.push(origin)
    provider.connect()
    const otherTab = new BroadcastChannel(room.name as string)
    try {
      otherTab.postMessage(new Uint8Array([0]).buffer)
      // The room's own broadcasts come back to it with origin null (own-broadcasts.ts filters
      // those); the other tab's message arrives with lib0's 'broadcastchannel'.
      await vi.waitFor(() => expect(heard).toContain('broadcastchannel'), WAIT)
    } finally {
      otherTab.close()
    }
  })

  it('new connections go through room.webrtcConns.set, each with a simple-peer whose only data listener is y-webrtc’s', async () => {
    const { server, provider, roomName } = await setUp()
    const room = provider.room as unknown as { webrtcConns: Map<string, unknown> }
    const added: unknown[] = []
    const set = room.webrtcConns.set.bind(room.webrtcConns)
    room.webrtcConns.set = (id: string, conn: unknown) => {
      added.push(conn)
      return set(id, conn)
    }
    await vi.waitFor(() => expect(server.plain(roomName, 'announce')).not.toEqual([]), WAIT)
    // A peer announces itself: y-webrtc makes a connection for it.
    server.publish(roomName, { type: 'announce', from: 'a-remote-peer' })
    await vi.waitFor(() => expect(added.length).toBe(1), WAIT)
    const peer = (
      added[0] as { peer: Record<string, unknown> & { listenerCount(e: string): number } }
    ).peer
    holds(
      isFunction(peer['send']) &&
        isFunction(peer['on']) &&
        isFunction(peer['removeAllListeners']) &&
        typeof peer['connected'] === 'boolean',
      'a WebrtcConn’s `peer` (simple-peer) has send(), on(), removeAllListeners() and `connected`',
      'gate/tap-ywebrtc.ts tapConnection()',
    )
    holds(
      peer.listenerCount('data') === 1,
      'y-webrtc registers exactly one data listener per connection, in its constructor',
      'gate/tap-ywebrtc.ts (it replaces that listener: the gate must be the only reader)',
    )
  })
})
