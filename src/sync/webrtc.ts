import * as Y from 'yjs'
import { Awareness } from 'y-protocols/awareness'
import { uuidv4 } from 'lib0/random'
import { WebrtcProvider } from 'y-webrtc'
import { deriveRoomKeysFromRead, type RoomKeys } from '../share/derive'
import type { DocKeys, ReadKeys } from '../share/keys'
import { chunkingWrtc, type ChunkingError, type WrtcLike } from './chunked'
import { systemClock, type Clock, type IntervalHandle } from './clock'
import { ed25519Auto, type AsyncEd25519 } from './gate/ed25519'
import { Gate } from './gate/gate'
import { TabLink } from './gate/tab-link'
import { hasHeard, tapRoom, type TappableRoom } from './gate/tap-ywebrtc'
import { ignoreOwnBroadcasts, type BroadcastRoom } from './own-broadcasts'
import { SignalingFailover } from './signaling-failover'
import type { ReplicationAdapter } from './port'
import type { ConnectionState, StatusModel } from './status'

// Replication over WebRTC (rules SYNC-1, SYNC-2, GATE-1..6): y-webrtc does the mesh, rooms and
// signaling; we hand it the topic and password derived from the read secret (VIEW-2), so editors
// and readers meet while the signaling server sees neither secret nor a readable name. y-webrtc
// replicates only an empty shadow document and awareness: the document itself crosses the data
// channels (and a BroadcastChannel to other tabs) only through the gate, as signed entries and
// signed presence, so a peer without the write key changes nothing for anyone. This adapter
// translates y-webrtc's state into the status model and mends three of its reconnection faults
// (rule RECON-1) without forking it:
// - it ignores an announce from a peer id it still holds a (stale) connection entry for, so a
//   peer that pauses and resumes under the same id can stay cut off: we resume under a new id;
// - a connection that never completes keeps its entry forever and blocks that peer: a watchdog
//   destroys entries that have not connected in time, which makes y-webrtc announce again; so
//   also one that opened but carries nothing (each side speaks first thing, so silence means the
//   data channel is dead while y-webrtc still counts the peer as connected);
// - pausing should take our name and caret away at once and resuming bring them back: the gate
//   sends its pre-signed goodbye, then our state again.
// It also stops the room re-applying its own BroadcastChannel messages (own-broadcasts.ts).

export interface WebrtcOptions {
  /** The document's keys: an edit link's (signs and verifies) or a view link's (verifies). */
  readonly keys: DocKeys | ReadKeys
  /** The room to meet in; derived from the read keys when absent (unit tests choose their own). */
  readonly room?: RoomKeys
  /**
   * y-webrtc's cap on direct connections (20..34 at random by default). Tests lower it to build
   * a partial mesh, where changes must be relayed (GATE-3).
   */
  readonly maxConns?: number
  /** Ed25519 for the gate; WebCrypto's when the engine has it, else noble's. */
  readonly engine?: AsyncEd25519
  /** A tombstone signed with this document's write key arrived: it moved to a new link. */
  readonly onMoved?: () => void
  readonly signalingUrls: readonly string[]
  /**
   * The WebRTC implementation: the browser's own by default, `@roamhq/wrtc` in Node. It is
   * wrapped in the chunked transport (rule CHUNK-1), so messages of any size cross the data
   * channel; y-webrtc itself sends each sync message whole and Chromium refuses those over
   * 256 KiB without telling anyone.
   */
  readonly wrtc?: WrtcLike
  /**
   * STUN/TURN servers for every peer connection (`RTCConfiguration.iceServers`). When absent,
   * simple-peer's defaults apply (public STUN servers).
   */
  readonly iceServers?: readonly IceServer[]
  /** The time source of the watchdog, the failover and the status poll; the system's by default. */
  readonly clock?: Clock
  readonly warn?: (message: string, error?: unknown) => void
}

/** `RTCIceServer`, typed here so that Node code (tests, tools) needs no DOM typings for it. */
export interface IceServer {
  readonly urls: string | readonly string[]
  readonly username?: string
  readonly credential?: string
}

/** A transport problem stays visible this long after peers are connected again. */
const TRANSPORT_ERROR_LINGER_MS = 5_000

function browserWrtc(): WrtcLike | null {
  const scope = globalThis as Partial<WrtcLike>
  if (typeof scope.RTCPeerConnection !== 'function') return null
  return {
    RTCPeerConnection: scope.RTCPeerConnection,
    RTCSessionDescription: scope.RTCSessionDescription,
    RTCIceCandidate: scope.RTCIceCandidate,
  }
}

// The parts of y-webrtc's internals the status needs; y-webrtc's typings do not expose them.
interface ConnInternals {
  readonly connected: boolean
  readonly closed: boolean
  destroy(): void
}
interface RoomInternals {
  peerId: string
  readonly webrtcConns: Map<string, ConnInternals>
  readonly bcConns: Set<string>
}
interface SignalingInternals {
  readonly url: string
  readonly connected: boolean
  readonly shouldConnect: boolean
  readonly providers: Set<unknown>
  connect(): void
  disconnect(): void
  on(event: 'connect' | 'disconnect', listener: () => void): void
  off(event: 'connect' | 'disconnect', listener: () => void): void
}

/** How often the status is re-read as a safety net; y-webrtc emits no event on peer connect. */
const STATUS_POLL_MS = 500
/** A WebRTC connection still not open after this long is given up and retried. */
export const CONNECT_DEADLINE_MS = 15_000
/**
 * An open connection on which nothing arrived for this long is given up and retried: each side
 * speaks the moment it opens (GATE-2), so silence means the data channel does not carry.
 */
export const SILENT_DEADLINE_MS = 10_000

export class WebrtcAdapter implements ReplicationAdapter {
  /** Every change and presence message between this document and its peers passes here. */
  readonly gate: Gate
  private readonly provider: WebrtcProvider
  private readonly tabs: TabLink
  private readonly shadowDoc = new Y.Doc()
  private readonly shadowAwareness = new Awareness(this.shadowDoc)
  private enabled = true
  private readonly clock: Clock
  private readonly timer: IntervalHandle
  private readonly watched = new Set<SignalingInternals>()
  /** When each pending connection entry was first seen unconnected. */
  private readonly pendingSince = new Map<ConnInternals, number>()
  /** When each open connection was first seen open with nothing heard on it. */
  private readonly silentSince = new Map<ConnInternals, number>()
  private transportErrorAt: number | null = null
  private readonly failover: SignalingFailover
  private readonly warn: (message: string, error?: unknown) => void

  constructor(
    doc: Y.Doc,
    awareness: Awareness,
    private readonly status: StatusModel,
    options: WebrtcOptions,
  ) {
    this.clock = options.clock ?? systemClock
    this.warn = options.warn ?? (() => undefined)
    const room = options.room ?? deriveRoomKeysFromRead(options.keys)
    this.gate = new Gate({
      doc,
      awareness,
      keys: options.keys,
      engine: options.engine ?? ed25519Auto,
      warn: options.warn ?? (() => undefined),
      ...(options.onMoved ? { onMoved: options.onMoved } : {}),
      now: () => this.clock.now(),
    })
    this.tabs = new TabLink(room.topic, this.gate)
    // The shadow awareness has no state of ours: y-webrtc has nothing to announce or renew.
    this.shadowAwareness.setLocalState(null)
    this.failover = new SignalingFailover(options.signalingUrls, this.clock)
    const base = options.wrtc ?? browserWrtc()
    const onTransportError = (error: ChunkingError): void => {
      options.warn?.('A data channel to a peer failed; y-webrtc will reconnect.', error)
      this.transportErrorAt = this.clock.now()
      this.status.update({ problem: 'transport-error' })
    }
    // simple-peer's options for every connection: y-webrtc spreads them into `new Peer(...)`.
    const peerOpts: { wrtc?: WrtcLike; config?: { iceServers: IceServer[] } } = {}
    if (base) peerOpts.wrtc = chunkingWrtc(base, { onTransportError })
    if (options.iceServers) peerOpts.config = { iceServers: [...options.iceServers] }
    this.provider = new WebrtcProvider(room.topic, this.shadowDoc, {
      // One server at a time; see signaling-failover.ts for why not all of them.
      signaling: [this.failover.current()],
      password: room.password,
      awareness: this.shadowAwareness,
      peerOpts,
      ...(options.maxConns === undefined ? {} : { maxConns: options.maxConns }),
    })
    // y-webrtc opens (and connects) its room once the key is derived; this runs right after,
    // before any signaling message can make a connection.
    void this.provider.key.then(() => {
      const opened = this.provider.room as unknown as (BroadcastRoom & TappableRoom) | null
      if (!opened) return
      ignoreOwnBroadcasts(opened)
      tapRoom(opened, this.gate)
    })
    this.tabs.start()
    this.provider.on('peers', this.refresh)
    this.provider.on('synced', this.refresh)
    this.provider.on('status', this.refresh)
    this.reviveSignaling()
    this.timer = this.clock.setInterval(this.tick, STATUS_POLL_MS)
    if (typeof window !== 'undefined') {
      window.addEventListener('online', this.refresh)
      window.addEventListener('offline', this.refresh)
    }
    this.refresh()
  }

  connect(): void {
    if (this.enabled) return
    this.enabled = true
    const room = this.room()
    // A fresh id: peers that still hold a stale entry for the old one will not ignore us.
    if (room) room.peerId = uuidv4()
    this.tabs.start()
    this.gate.presence.announce()
    this.provider.connect()
    this.reviveSignaling()
    this.refresh()
  }

  disconnect(): void {
    if (!this.enabled) return
    this.enabled = false
    this.gate.presence.leave()
    this.tabs.stop()
    this.provider.disconnect()
    // y-webrtc destroyed the sockets nobody else uses but keeps them in its list; revived on
    // resume beside the new one it makes, each would stay open for nothing (SYNC-5). Resume
    // starts from an empty list: connect() adds the socket of the current server again.
    this.provider.signalingConns = []
    this.pendingSince.clear()
    this.silentSince.clear()
    this.refresh()
  }

  /** The signaling server in use now (rule SYNC-4: one at a time). */
  currentSignalingUrl(): string {
    return this.failover.current()
  }

  destroy(): Promise<void> {
    this.clock.clearInterval(this.timer)
    if (typeof window !== 'undefined') {
      window.removeEventListener('online', this.refresh)
      window.removeEventListener('offline', this.refresh)
    }
    for (const conn of this.watched) {
      conn.off('connect', this.refresh)
      conn.off('disconnect', this.refresh)
    }
    // Goodbye first, while the links are still open.
    this.gate.destroy()
    this.tabs.stop()
    // y-webrtc's destroy() leaves the provider on the shared signaling socket (keeping it and its
    // doc alive); disconnect() detaches it and closes the socket once nobody uses it.
    this.provider.disconnect()
    this.provider.destroy()
    this.shadowAwareness.destroy()
    this.shadowDoc.destroy()
    return Promise.resolve()
  }

  private signalingConns(): SignalingInternals[] {
    const conns = new Set(this.provider.signalingConns as unknown[] as SignalingInternals[])
    // y-webrtc appends on every connect(); keep one entry per socket.
    if (conns.size !== this.provider.signalingConns.length)
      this.provider.signalingConns = [...conns]
    for (const conn of this.watched) {
      if (conns.has(conn)) continue
      conn.off('connect', this.refresh)
      conn.off('disconnect', this.refresh)
      this.watched.delete(conn)
    }
    for (const conn of conns) {
      if (this.watched.has(conn)) continue
      this.watched.add(conn)
      conn.on('connect', this.refresh)
      conn.on('disconnect', this.refresh)
    }
    return [...conns]
  }

  private room(): RoomInternals | null {
    return this.provider.room
  }

  private readonly tick = (): void => {
    this.expireStuckConnections()
    this.failOver()
    this.refresh()
  }

  private failOver(): void {
    const current = this.failover.current()
    const connected = this.signalingConns().some((conn) => conn.url === current && conn.connected)
    const paused = !this.enabled || (typeof navigator !== 'undefined' && navigator.onLine === false)
    const next = this.failover.observe(connected, paused)
    if (next !== null && next !== current) this.switchSignaling(next)
  }

  /**
   * Moves this provider to another signaling server without touching its WebRTC connections:
   * detach from the old server's socket, then let y-webrtc attach the new one (provider.connect
   * is idempotent for a room that is already connected: it re-subscribes and announces).
   */
  private switchSignaling(url: string): void {
    for (const conn of this.signalingConns()) {
      if (conn.url === url) continue
      conn.providers.delete(this.provider)
      if (conn.providers.size === 0) conn.disconnect()
    }
    this.provider.signalingConns = this.provider.signalingConns.filter(
      (conn) => (conn as SignalingInternals).url === url,
    )
    this.provider.signalingUrls = [url]
    this.provider.connect()
    this.reviveSignaling()
  }

  /**
   * y-webrtc keeps every socket it made in a private map, also one we stopped on a switch; a
   * provider handed such a socket would wait for the failover delay, so it is restarted here.
   */
  private reviveSignaling(): void {
    for (const conn of this.signalingConns()) if (!conn.shouldConnect) conn.connect()
  }

  private expireStuckConnections(): void {
    const room = this.room()
    if (!room || !this.enabled) return
    const now = this.clock.now()
    const live = new Set(room.webrtcConns.values())
    for (const watched of [this.pendingSince, this.silentSince]) {
      for (const conn of watched.keys()) if (!live.has(conn)) watched.delete(conn)
    }
    for (const conn of live) {
      if (conn.closed || (conn.connected && hasHeard(conn))) {
        this.pendingSince.delete(conn)
        this.silentSince.delete(conn)
        continue
      }
      const [watched, deadline, what] = conn.connected
        ? [this.silentSince, SILENT_DEADLINE_MS, 'open but silent']
        : [this.pendingSince, CONNECT_DEADLINE_MS, 'not open']
      const since = watched.get(conn)
      if (since === undefined) watched.set(conn, now)
      else if (now - since > deadline) {
        // simple-peer emits 'close'; y-webrtc then drops the entry and announces again.
        watched.delete(conn)
        this.warn(`A peer connection ${what} after ${deadline / 1000} s; retrying.`)
        conn.destroy()
      }
    }
  }

  private readonly refresh = (): void => {
    const room = this.room()
    let peers = 0
    if (room && this.enabled) {
      for (const conn of room.webrtcConns.values()) if (conn.connected) peers += 1
      peers += room.bcConns.size
    }
    const signaling = this.enabled && this.signalingConns().some((conn) => conn.connected)
    let connection: ConnectionState
    const browserOffline = typeof navigator !== 'undefined' && navigator.onLine === false
    if (!this.enabled) connection = 'offline'
    else if (signaling || peers > 0) connection = 'connected'
    else if (browserOffline) connection = 'offline'
    else connection = 'connecting'
    this.status.update({ networkEnabled: this.enabled, connection, peers })
    this.clearHealedTransportError(peers)
  }

  private clearHealedTransportError(peers: number): void {
    if (this.transportErrorAt === null || peers === 0) return
    if (this.clock.now() - this.transportErrorAt < TRANSPORT_ERROR_LINGER_MS) return
    this.transportErrorAt = null
    if (this.status.get().problem === 'transport-error') this.status.update({ problem: null })
  }
}
