import type { RpcReady, RpcReply } from '../child-rpc'
// The IPC contract between a NodePeer (test process) and its child (child.ts). Kept in one file
// so both sides are type-checked against the same shapes. Every command carries an id; the child
// answers each with exactly one reply of that id (ok with a value, or an error message).

export interface PeerInit {
  /** y-webrtc room name: the signaling topic. */
  readonly room: string
  /** y-webrtc `password`: signaling payloads are AES-GCM encrypted with a key derived from it. */
  readonly password: string | null
  /** Signaling URLs. */
  readonly signaling: readonly string[]
  /**
   * `all` (default): the list goes to y-webrtc unchanged; it keeps a socket open to every URL
   * and announces on each. `failover`: y-webrtc gets one URL at a time; when that socket has
   * been down for `failoverAfterMs`, the child switches to the next URL in the list (what an
   * app's signaling adapter does when its URLs lead to instances joined by one bus).
   */
  readonly signalingMode?: 'all' | 'failover'
  readonly failoverAfterMs?: number
}

/** What a test can observe about a peer at one moment. */
export interface PeerStatus {
  /** WebRTC connections whose data channel is open. */
  readonly peers: number
  /** WebRTC connection entries, open or still negotiating. */
  readonly peerEntries: number
  /** Signaling WebSockets currently open, by URL. */
  readonly signaling: Readonly<Record<string, boolean>>
  /** y-webrtc's own "synced with every connected peer" flag. */
  readonly synced: boolean
  /** How often failover mode moved to the next signaling URL. */
  readonly failovers: number
}

export type PeerCommand =
  | { readonly op: 'init'; readonly init: PeerInit }
  | { readonly op: 'insert'; readonly text: string; readonly index?: number }
  | { readonly op: 'getText' }
  | { readonly op: 'getStateVector' }
  | { readonly op: 'status' }
  | { readonly op: 'setSignaling'; readonly urls: readonly string[] }
  | { readonly op: 'disconnect' }
  | { readonly op: 'connect' }
  | { readonly op: 'destroy' }

/** The value each command resolves to. */
export interface PeerReplies {
  init: null
  insert: null
  getText: string
  /** Base64 of Y.encodeStateVector(doc). Equal vectors mean equal documents. */
  getStateVector: string
  status: PeerStatus
  setSignaling: null
  disconnect: null
  connect: null
  destroy: null
}

export type PeerRequest = PeerCommand & { readonly id: number }

export type PeerReply = RpcReply

/** Sent once, unsolicited, when the child has loaded its modules and listens for commands. */
export type PeerReady = RpcReady
