import type * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'
import { uuidv4 } from 'lib0/random'
import { WebrtcProvider } from 'y-webrtc'
import type { RoomKeys } from '../share/derive'
import { chunkingWrtc, type ChunkingError, type WrtcLike } from './chunked'
import { systemClock, type Clock, type IntervalHandle } from './clock'
import { ignoreOwnBroadcasts, type BroadcastRoom } from './own-broadcasts'
import { SignalingFailover } from './signaling-failover'
import type { ReplicationAdapter } from './port'
import type { ConnectionState, StatusModel } from './status'

// Replication over WebRTC (rules SYNC-1, SYNC-2): y-webrtc does the mesh, rooms, signaling and
// BroadcastChannel between tabs; we hand it the derived topic and password so the signaling
// server sees neither the secret nor a readable name, and signaling payloads and cross-tab
// traffic are encrypted. This adapter translates y-webrtc's state into the status model and
// mends three of its reconnection faults (rule RECON-1) without forking it:
// - it ignores an announce from a peer id it still holds a (stale) connection entry for, so a
//   peer that pauses and resumes under the same id can stay cut off: we resume under a new id;
// - a connection that never completes keeps its entry forever and blocks that peer: a watchdog
//   destroys entries that have not connected in time, which makes y-webrtc announce again;
// - pausing removes our awareness state and resuming does not restore it, so our name and caret
//   would vanish for others: we put it back.
// It also stops the room re-applying its own BroadcastChannel messages (own-broadcasts.ts).

export interface WebrtcOptions {
  readonly keys: RoomKeys
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

export class WebrtcAdapter implements ReplicationAdapter {
  private readonly provider: WebrtcProvider
  private enabled = true
  private readonly clock: Clock
  private readonly timer: IntervalHandle
  private readonly watched = new Set<SignalingInternals>()
  /** When each pending connection entry was first seen unconnected. */
  private readonly pendingSince = new Map<ConnInternals, number>()
  private savedLocalState: Record<string, unknown> | null = null
  private transportErrorAt: number | null = null
  private readonly failover: SignalingFailover

  constructor(
    doc: Y.Doc,
    private readonly awareness: Awareness,
    private readonly status: StatusModel,
    options: WebrtcOptions,
  ) {
    this.clock = options.clock ?? systemClock
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
    this.provider = new WebrtcProvider(options.keys.topic, doc, {
      // One server at a time; see signaling-failover.ts for why not all of them.
      signaling: [this.failover.current()],
      password: options.keys.password,
      awareness,
      peerOpts,
    })
    // y-webrtc opens (and connects) its room once the key is derived; this runs right after.
    void this.provider.key.then(() => {
      const room = this.provider.room as unknown as BroadcastRoom | null
      if (room) ignoreOwnBroadcasts(room)
    })
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
    if (this.savedLocalState && this.awareness.getLocalState() === null) {
      this.awareness.setLocalState(this.savedLocalState)
    }
    this.provider.connect()
    this.reviveSignaling()
    this.refresh()
  }

  disconnect(): void {
    if (!this.enabled) return
    this.enabled = false
    this.savedLocalState = this.awareness.getLocalState()
    this.provider.disconnect()
    this.pendingSince.clear()
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
    // y-webrtc's destroy() leaves the provider on the shared signaling socket (keeping it and its
    // doc alive); disconnect() detaches it and closes the socket once nobody uses it.
    this.provider.disconnect()
    this.provider.destroy()
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
    for (const conn of this.pendingSince.keys()) if (!live.has(conn)) this.pendingSince.delete(conn)
    for (const conn of live) {
      if (conn.connected || conn.closed) {
        this.pendingSince.delete(conn)
        continue
      }
      const since = this.pendingSince.get(conn)
      if (since === undefined) this.pendingSince.set(conn, now)
      else if (now - since > CONNECT_DEADLINE_MS) {
        // simple-peer emits 'close'; y-webrtc then drops the entry and announces again.
        this.pendingSince.delete(conn)
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
