// The WebrtcAdapter's timer-driven repairs, stepped through with a hand-advanced clock: signaling
// failover (SYNC-4) and the watchdog for peer connections that never open (RECON-1). Everything
// else is real: y-webrtc, its WebSocket client (`ws`), @roamhq/wrtc peer connections, and
// signaling servers on loopback that the test drives by hand (test/helpers/fake-signaling.ts).
// Only the adapter's clock is the test's, so "3 s later" and "15 s later" take no time at all.
import wrtc from '@roamhq/wrtc'
import { Awareness } from 'y-protocols/awareness'
import * as Y from 'yjs'
import { WebSocket as NodeWebSocket } from 'ws'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Topic } from '../../src/share/ids'
import { deriveDocKeys } from '../../src/share/keys'
import { newDocAddress } from '../../src/share/link'
import type { WrtcLike } from '../../src/sync/chunked'
import { FAILOVER_AFTER_MS } from '../../src/sync/signaling-failover'
import { StatusModel } from '../../src/sync/status'
import {
  CONNECT_DEADLINE_MS,
  SILENT_DEADLINE_MS,
  WebrtcAdapter,
  type WebrtcOptions,
} from '../../src/sync/webrtc'
import { FakeSignaling } from '../helpers/fake-signaling'
import { hasHeard } from '../../src/sync/gate/tap-ywebrtc'
import { ManualClock } from '../helpers/manual-clock'

// Node 20 has no global WebSocket; y-webrtc's signaling client (lib0/websocket) uses the global.
Object.assign(globalThis, { WebSocket: NodeWebSocket })

/** The adapter's status poll (and so its watchdog and failover) runs every 500 ms of its clock. */
const TICK_MS = 500
const WAIT = { timeout: 5_000, interval: 20 }

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

let rooms = 0
function openAdapter(
  options: Omit<WebrtcOptions, 'keys' | 'room'>,
  password = 'not-a-real-password',
  keys = deriveDocKeys(newDocAddress()),
) {
  const topic = `webrtc-timers-${process.pid}-${++rooms}` as Topic
  const doc = new Y.Doc()
  const awareness = new Awareness(doc)
  const status = new StatusModel()
  const adapter = new WebrtcAdapter(doc, awareness, status, {
    ...options,
    keys,
    room: { topic, password },
  })
  cleanups.push(async () => {
    await adapter.destroy()
    awareness.destroy()
    doc.destroy()
  })
  return { adapter, status, topic, keys }
}

async function startSignaling(): Promise<FakeSignaling> {
  const server = await FakeSignaling.start()
  cleanups.push(() => server.stop())
  return server
}

/** Lets microtasks and already-queued callbacks run (simple-peer closes in a microtask). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('signaling failover in the adapter', { timeout: 20_000 }, () => {
  it('[SYNC-4] one server at a time: stays while it is reachable, moves on after 3 s down, round robin, never while paused', async () => {
    const a = await startSignaling()
    const b = await startSignaling()
    const clock = new ManualClock()
    const { adapter, status, topic } = openAdapter({ signalingUrls: [a.url, b.url], clock })

    await vi.waitFor(() => expect(a.subscribed(topic)).toBe(true), WAIT)
    await vi.waitFor(() => expect(status.get().connection).toBe('connected'), WAIT)
    // Reachable: however long, the client stays, and never opens a socket to the second server.
    clock.advance(10 * FAILOVER_AFTER_MS)
    expect(adapter.currentSignalingUrl()).toBe(a.url)
    expect(b.connections).toBe(0)

    await a.stop()
    await vi.waitFor(() => expect(status.get().connection).toBe('connecting'), WAIT)
    clock.advance(FAILOVER_AFTER_MS - TICK_MS)
    expect(adapter.currentSignalingUrl()).toBe(a.url)
    clock.advance(TICK_MS)
    expect(adapter.currentSignalingUrl()).toBe(b.url)
    await vi.waitFor(() => expect(b.subscribed(topic)).toBe(true), WAIT)
    await vi.waitFor(() => expect(status.get().connection).toBe('connected'), WAIT)
    // It announces itself on the new server (encrypted with the room key), so peers there find it.
    await vi.waitFor(() => expect(b.published(topic).length).toBeGreaterThan(0), WAIT)

    // Round robin: the second server goes too, and the client comes back to the first.
    await b.stop()
    await vi.waitFor(() => expect(status.get().connection).toBe('connecting'), WAIT)
    clock.advance(FAILOVER_AFTER_MS)
    expect(adapter.currentSignalingUrl()).toBe(a.url)

    // Paused (the network toggle): an unreachable server is not blamed for it.
    adapter.disconnect()
    clock.advance(20 * FAILOVER_AFTER_MS)
    expect(adapter.currentSignalingUrl()).toBe(a.url)
    adapter.connect()
    clock.advance(FAILOVER_AFTER_MS - TICK_MS)
    expect(adapter.currentSignalingUrl()).toBe(a.url)
  })

  it('[SYNC-4] a single server is never left, however long it is down', async () => {
    const only = await startSignaling()
    const clock = new ManualClock()
    const { adapter, status, topic } = openAdapter({ signalingUrls: [only.url], clock })
    await vi.waitFor(() => expect(only.subscribed(topic)).toBe(true), WAIT)
    await only.stop()
    await vi.waitFor(() => expect(status.get().connection).toBe('connecting'), WAIT)
    clock.advance(100 * FAILOVER_AFTER_MS)
    expect(adapter.currentSignalingUrl()).toBe(only.url)
  })
})

describe('the watchdog for connections that never open', { timeout: 20_000 }, () => {
  it('[RECON-1] a peer connection still not open after 15 s is dropped and y-webrtc announces again; one that keeps trying is retried', async () => {
    const server = await startSignaling()
    const clock = new ManualClock()
    // Every RTCPeerConnection simple-peer makes, and the configuration it was given.
    const made: { pc: { signalingState: string }; config: unknown }[] = []
    const Recording = function (config: unknown) {
      const pc = new wrtc.RTCPeerConnection(config as RTCConfiguration)
      made.push({ pc, config })
      return pc
    }
    const base: WrtcLike = {
      RTCPeerConnection: Recording as unknown as WrtcLike['RTCPeerConnection'],
      RTCSessionDescription: wrtc.RTCSessionDescription,
      RTCIceCandidate: wrtc.RTCIceCandidate,
    }
    // No password: the ghost's announce below is plain JSON (with one, y-webrtc would drop any
    // message not encrypted with the room key). The watchdog does not depend on encryption.
    const { topic } = openAdapter(
      { signalingUrls: [server.url], clock, wrtc: base, iceServers: [] },
      '',
    )
    const announces = () => server.plain(topic, 'announce')
    await vi.waitFor(() => expect(announces()).toHaveLength(1), WAIT)

    // A peer that announces itself and then never answers: y-webrtc offers a connection that
    // can never open, and without the watchdog would keep that entry, and ignore the peer, for ever.
    server.publish(topic, { type: 'announce', from: 'ghost' })
    await vi.waitFor(() => expect(made).toHaveLength(1), WAIT)
    // The iceServers option reaches the peer connection (here: none, so nothing leaves loopback).
    expect(made[0]?.config).toMatchObject({ iceServers: [] })
    await vi.waitFor(
      () => expect(server.plain(topic, 'signal').some((data) => data['to'] === 'ghost')).toBe(true),
      WAIT,
    )

    clock.advance(TICK_MS) // the watchdog first sees the pending entry here
    clock.advance(CONNECT_DEADLINE_MS) // exactly at the deadline: still given its chance
    await settle()
    expect(made[0]?.pc.signalingState).not.toBe('closed')
    expect(announces()).toHaveLength(1)

    clock.advance(TICK_MS) // past it: destroyed
    await vi.waitFor(() => expect(made[0]?.pc.signalingState).toBe('closed'), WAIT)
    // y-webrtc dropped the entry and announced itself again...
    await vi.waitFor(() => expect(announces()).toHaveLength(2), WAIT)
    // ...so the peer is no longer ignored: its next announce gets a fresh connection.
    server.publish(topic, { type: 'announce', from: 'ghost' })
    await vi.waitFor(() => expect(made).toHaveLength(2), WAIT)
    expect(made[1]?.pc.signalingState).not.toBe('closed')
  })
})

interface ConnLike {
  readonly connected: boolean
  readonly closed: boolean
  readonly peer: { send(bytes: unknown): void }
}

/**
 * y-webrtc's connections of an adapter's room (private; see ywebrtc-internals.test.ts), as soon
 * as the room opens: right after its key promise settles, before any signaling message is read.
 */
async function connsOf(adapter: WebrtcAdapter): Promise<Map<string, ConnLike>> {
  const provider = (
    adapter as unknown as {
      provider: { key: Promise<unknown>; room: { webrtcConns: Map<string, ConnLike> } | null }
    }
  ).provider
  await provider.key
  if (!provider.room) throw new Error('y-webrtc opened no room')
  return provider.room.webrtcConns
}

describe('the watchdog for connections that open and carry nothing', { timeout: 20_000 }, () => {
  /** Two adapters in one room over a relaying signaling server; only the first's clock moves. */
  async function pair(options: { muteSecond: boolean }) {
    const server = await startSignaling()
    const clock = new ManualClock()
    const warnings: string[] = []
    const direct = {
      signalingUrls: [server.url],
      wrtc: wrtc as unknown as WrtcLike,
      iceServers: [],
    }
    // No room password: the frames are plain, so the server can join the two rooms.
    const first = openAdapter({ ...direct, clock, warn: (message) => warnings.push(message) }, '')
    // One at a time, as people arrive: the second's announce makes the first offer.
    await vi.waitFor(() => expect(server.plain(first.topic, 'announce')).toHaveLength(1), WAIT)
    server.join(first.topic, `webrtc-timers-${process.pid}-${rooms + 1}`)
    // The same document: each checks the other's signed presence with its keys.
    const second = openAdapter({ ...direct, clock: new ManualClock() }, '', first.keys)
    if (options.muteSecond) {
      // A client modified to say nothing on its connections (as one whose data channel does not
      // carry): every send on every connection it makes is dropped.
      const conns = await connsOf(second.adapter)
      const set = conns.set.bind(conns)
      conns.set = (id, conn) => {
        conn.peer.send = () => undefined
        return set(id, conn)
      }
    }
    // The status poll runs on the clocks, which stand still: the connections are read directly.
    const conns = await connsOf(first.adapter)
    const others = await connsOf(second.adapter)
    const open = (map: Map<string, ConnLike>) => [...map.values()].filter((c) => c.connected)
    await vi.waitFor(() => expect(open(conns)).toHaveLength(1), WAIT)
    await vi.waitFor(() => expect(open(others)).toHaveLength(1), WAIT)
    return { clock, warnings, conns }
  }

  it('[RECON-1] an open connection on which nothing arrives for 10 s is dropped, and y-webrtc connects afresh', async () => {
    const { clock, warnings, conns } = await pair({ muteSecond: true })
    const [silent] = conns.values()
    clock.advance(TICK_MS) // first seen open and silent
    clock.advance(SILENT_DEADLINE_MS) // at the deadline: still given its chance
    await settle()
    expect(warnings).toEqual([])
    expect(silent?.closed).toBe(false)
    clock.advance(TICK_MS) // past it: dropped, with a word in the log
    expect(warnings).toEqual([expect.stringContaining('open but silent')])
    await vi.waitFor(() => expect(silent?.closed).toBe(true), WAIT)
    // y-webrtc dropped the entry and announced again: a fresh connection to the same peer.
    await vi.waitFor(() => expect([...conns.values()].some((c) => c !== silent)).toBe(true), WAIT)
  })

  it('[RECON-1] a connection whose other side speaks is kept, however long it stays open', async () => {
    const { clock, warnings, conns } = await pair({ muteSecond: false })
    const [open] = conns.values()
    // Its first words (a state vector and a presence) take a moment of real time to arrive.
    await vi.waitFor(() => expect(open && hasHeard(open)).toBe(true), WAIT)
    for (let i = 0; i < 5; i++) clock.advance(SILENT_DEADLINE_MS)
    await settle()
    expect(warnings).toEqual([])
    expect(open?.closed).toBe(false)
    expect([...conns.values()]).toEqual([open])
  })
})
