import type { RpcReady, RpcReply } from '../child-rpc'
// The IPC contract between a MeshpadNodePeer (test process) and its child (child.ts): one Meshpad
// peer per child process, as the app composes it (Y.Doc from src/doc/model, Awareness,
// StatusModel, WebrtcAdapter with the chunked transport over @roamhq/wrtc). Every command carries
// an id; the child answers each with exactly one reply of that id.

export interface MeshpadPeerInit {
  /** The document link (or just its `#/d/<docId>/<secret>` hash). */
  readonly link: string
  readonly signalingUrls: readonly string[]
  /** y-webrtc's cap on direct connections: 1 builds a chain through a better-connected peer. */
  readonly maxConns?: number
}

/**
 * What a modified client sends straight onto its data channels, past its own gate (THREAT-9):
 * - `forged-entry`: a well-formed entry adding a paragraph, signed with a key of its own;
 * - `sync-step2` / `sync-update`: y-webrtc's unsigned sync messages adding a paragraph;
 * - `awareness`: a y-protocols awareness update naming `text` for a client id of its choice.
 */
export type Attack = 'forged-entry' | 'sync-step2' | 'sync-update' | 'awareness'

export interface GateCounters {
  readonly rejectedEntries: number
  readonly rejectedPresence: number
  readonly malformedMessages: number
  readonly appliedEntries: number
}

export interface MeshpadPeerStatus {
  readonly peers: number
  readonly connection: string
  readonly problem: string | null
}

export type MeshpadPeerCommand =
  | { readonly op: 'init'; readonly init: MeshpadPeerInit }
  /** Replays a trace from test/fixtures/traces into the body as paragraphs (must be empty). */
  | { readonly op: 'replayTrace'; readonly trace: string }
  | { readonly op: 'getText' }
  | { readonly op: 'getStateVector' }
  | { readonly op: 'stateBytes' }
  | { readonly op: 'status' }
  /** The adapter's port (ReplicationAdapter): connect(), disconnect(), destroy(). */
  | { readonly op: 'connect' }
  | { readonly op: 'disconnect' }
  /** Awaits the adapter's destroy() alone: the document stays readable and editable. */
  | { readonly op: 'release' }
  /** A local edit: appends a paragraph holding `text` to the body. */
  | { readonly op: 'appendParagraph'; readonly text: string }
  | { readonly op: 'destroy' }
  /** Sends crafted bytes to every WebRTC peer, bypassing the gate; returns how many got them. */
  | { readonly op: 'attack'; readonly attack: Attack; readonly text: string }
  | { readonly op: 'gateStats' }
  /** Names of the people this peer shows, with the role its presence check gave them. */
  | { readonly op: 'people' }

export interface MeshpadPeerReplies {
  init: null
  /** How long the replay took in the child (ms). */
  replayTrace: number
  /** The body's text, paragraphs joined by '\n' (as the editor's getText gives it). */
  getText: string
  /** Base64 of Y.encodeStateVector. */
  getStateVector: string
  /** Byte length of Y.encodeStateAsUpdate (V1): what sync step 2 sends to an empty peer. */
  stateBytes: number
  status: MeshpadPeerStatus
  connect: null
  disconnect: null
  release: null
  appendParagraph: null
  destroy: null
  attack: number
  gateStats: GateCounters
  people: { readonly name: string; readonly role: string }[]
}

export type MeshpadPeerRequest = MeshpadPeerCommand & { readonly id: number }

export type MeshpadPeerReply = RpcReply

/** Sent once, unsolicited, when the child has loaded its modules and listens for commands. */
export type MeshpadPeerReady = RpcReady
