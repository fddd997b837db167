import type { Gate, GateLink } from './gate'

// Routes y-webrtc's data channels through the gate (rule GATE-2). y-webrtc keeps making the
// connections (signaling, the mesh, reconnects), but it replicates only an empty shadow document
// and awareness: its own 'data' listener is removed from each connection as it is created, so
// nothing a peer sends reaches a Y.Doc except through the gate's checks. Relies on the pinned
// y-webrtc's private `webrtcConns` map and each connection's simple-peer `peer`
// (test/unit/sync/ywebrtc-internals.test.ts says so if they change).

interface SimplePeerLike {
  readonly connected: boolean
  send(data: Uint8Array): void
  on(event: 'data', listener: (data: Uint8Array) => void): void
  on(event: 'connect' | 'close', listener: () => void): void
  removeAllListeners(event: 'data'): void
}

interface ConnLike {
  readonly peer: SimplePeerLike
}

export interface TappableRoom {
  readonly webrtcConns: Map<string, ConnLike>
}

/** Connections on which the other side has said something (every peer speaks first thing). */
const heard = new WeakSet<object>()

/**
 * Whether anything arrived on this connection. Each side sends its state vector the moment the
 * link opens, so an open connection that stays silent carries nothing (WebrtcAdapter's watchdog
 * drops it and y-webrtc connects afresh).
 */
export function hasHeard(conn: object): boolean {
  return heard.has(conn)
}

function bytesOf(data: Uint8Array): Uint8Array {
  // simple-peer hands Buffers in Node; the gate's decoders want a plain view of the same bytes.
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}

function tapConnection(gate: Gate, remotePeerId: string, conn: ConnLike): void {
  const peer = conn.peer
  peer.removeAllListeners('data')
  let closed = false
  /** What the gate said before simple-peer called the connection open. */
  let early: Uint8Array[] | null = []
  const write = (bytes: Uint8Array): void => {
    try {
      peer.send(bytes)
    } catch {
      // The channel closed meanwhile; 'close' follows.
    }
  }
  const link: GateLink = {
    label: `peer ${remotePeerId.slice(0, 8)}`,
    send: (bytes) => {
      if (closed) return
      if (early !== null && !peer.connected) early.push(bytes)
      else write(bytes)
    },
  }
  peer.on('data', (data) => {
    heard.add(conn)
    // The remote side may speak first: simple-peer can deliver data before its own 'connect'.
    if (!closed) gate.open(link)
    gate.receive(link, bytesOf(data))
  })
  peer.on('connect', () => {
    if (closed) return
    const queued = early ?? []
    early = null
    for (const bytes of queued) write(bytes)
    gate.open(link)
  })
  peer.on('close', () => {
    closed = true
    gate.close(link)
  })
  if (peer.connected) {
    early = null
    gate.open(link)
  }
}

/** Taps every connection the room makes from now on (and any it already has). */
export function tapRoom(room: TappableRoom, gate: Gate): void {
  const conns = room.webrtcConns
  for (const [id, conn] of conns) tapConnection(gate, id, conn)
  const set = conns.set.bind(conns)
  conns.set = (id: string, conn: ConnLike) => {
    if (conns.get(id) !== conn) tapConnection(gate, id, conn)
    return set(id, conn)
  }
}
