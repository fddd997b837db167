import type * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'
import { WebrtcProvider } from 'y-webrtc'
import type { RoomKeys } from '../share/derive'
import type { ReplicationAdapter } from './port'
import type { ConnectionState, StatusModel } from './status'

// Replication over WebRTC (rules SYNC-1, SYNC-2): y-webrtc does the mesh, rooms, signaling and
// BroadcastChannel between tabs; we hand it the derived topic and password so the signaling
// server sees neither the secret nor a readable name, and signaling payloads and cross-tab
// traffic are encrypted. This adapter only translates y-webrtc's state into the status model.

export interface WebrtcOptions {
  readonly keys: RoomKeys
  readonly signalingUrls: readonly string[]
  /** Passed to simple-peer (e.g. a `wrtc` implementation in Node, or a transport wrapper). */
  readonly peerOpts?: Record<string, unknown>
}

// The parts of y-webrtc's internals the status needs; y-webrtc's typings do not expose them.
interface RoomInternals {
  readonly webrtcConns: Map<string, { connected: boolean }>
  readonly bcConns: Set<string>
}
interface SignalingInternals {
  readonly connected: boolean
  on(event: 'connect' | 'disconnect', listener: () => void): void
  off(event: 'connect' | 'disconnect', listener: () => void): void
}

/** How often the status is re-read as a safety net; y-webrtc emits no event on peer connect. */
const STATUS_POLL_MS = 500

export class WebrtcAdapter implements ReplicationAdapter {
  private readonly provider: WebrtcProvider
  private enabled = true
  private readonly timer: ReturnType<typeof setInterval>
  private readonly watched = new Set<SignalingInternals>()

  constructor(
    doc: Y.Doc,
    awareness: Awareness,
    private readonly status: StatusModel,
    options: WebrtcOptions,
  ) {
    this.provider = new WebrtcProvider(options.keys.topic, doc, {
      signaling: [...options.signalingUrls],
      password: options.keys.password,
      awareness,
      peerOpts: options.peerOpts ?? {},
    })
    this.provider.on('peers', this.refresh)
    this.provider.on('synced', this.refresh)
    this.provider.on('status', this.refresh)
    this.timer = setInterval(this.refresh, STATUS_POLL_MS)
    this.refresh()
  }

  connect(): void {
    if (this.enabled) return
    this.enabled = true
    this.provider.connect()
    this.refresh()
  }

  disconnect(): void {
    if (!this.enabled) return
    this.enabled = false
    this.provider.disconnect()
    this.refresh()
  }

  destroy(): Promise<void> {
    clearInterval(this.timer)
    for (const conn of this.watched) {
      conn.off('connect', this.refresh)
      conn.off('disconnect', this.refresh)
    }
    this.provider.destroy()
    return Promise.resolve()
  }

  private signalingConns(): SignalingInternals[] {
    const conns = new Set(this.provider.signalingConns as unknown[] as SignalingInternals[])
    for (const conn of conns) {
      if (this.watched.has(conn)) continue
      this.watched.add(conn)
      conn.on('connect', this.refresh)
      conn.on('disconnect', this.refresh)
    }
    return [...conns]
  }

  private readonly refresh = (): void => {
    const room = this.provider.room as unknown as RoomInternals | null
    let peers = 0
    if (room && this.enabled) {
      for (const conn of room.webrtcConns.values()) if (conn.connected) peers += 1
      peers += room.bcConns.size
    }
    const signaling = this.enabled && this.signalingConns().some((conn) => conn.connected)
    let connection: ConnectionState
    if (!this.enabled) connection = 'offline'
    else if (signaling || peers > 0) connection = 'connected'
    else connection = 'connecting'
    this.status.update({ networkEnabled: this.enabled, connection, peers })
  }
}
