// One observable model of "saved / connected / peers" (rules STATUS-1..3). Adapters write
// their part; the UI reads the whole and re-renders only when something visible changed.

export type ConnectionState = 'offline' | 'connecting' | 'connected'

/**
 * Whether this browser's changes are kept by an always-on peer (rule PIN-1): `pinned` when every
 * local change is durable on at least one, `pending` while some are not yet, `off` when none is
 * configured or reachable.
 */
export type PinnedState = 'pinned' | 'pending' | 'off'

/**
 * What the user must know, from a closed set (docs/ARCHITECTURE.md, "errors in three kinds"): each value has
 * one message in the UI. Peer and network faults that heal by themselves are not listed here.
 */
export type SyncProblem =
  | 'storage-unavailable' // IndexedDB could not be opened: edits live only in this tab
  | 'storage-write-failed' // a write to IndexedDB failed: recent edits may not be saved
  | 'storage-corrupt' // stored rows did not load: they were set aside, the rest loaded
  | 'wrong-secret' // this browser holds another document under this id: not opened
  | 'transport-error' // a message to a peer could not be sent
  | 'app-outdated' // an always-on peer speaks a newer protocol: reload to update
  | 'store-refused' // an always-on peer refused this document's changes (limit or bug)

/**
 * Something the user should know that is not a fault (rule RECOVER-2), from a closed set: this
 * browser's copy was missing or damaged when the document opened, and what the network then
 * delivered rebuilt it.
 */
export type SyncNotice =
  | 'rebuilt-missing-from-peers'
  | 'rebuilt-missing-from-server'
  | 'rebuilt-damaged-from-peers'
  | 'rebuilt-damaged-from-server'

export interface SyncStatus {
  /** False while the user has paused replication with the network toggle. */
  readonly networkEnabled: boolean
  readonly connection: ConnectionState
  /** Connected remote peers: WebRTC peers plus other tabs of this browser. */
  readonly peers: number
  /** The local copy has been read from IndexedDB (or storage failed and we run in memory). */
  readonly loaded: boolean
  /** Every change this tab knows of is in a committed IndexedDB transaction. */
  readonly saved: boolean
  readonly problem: SyncProblem | null
  /** A notice (not an error) shown beside the status; see SyncNotice. */
  readonly notice: SyncNotice | null
  readonly pinned: PinnedState
  /** Always-on peers this document is connected to. */
  readonly stores: number
  /** People present only through an always-on peer's relay (no direct WebRTC path needed). */
  readonly relayed: number
  /** A tombstone signed with this link's write key was seen: the document moved (MOVE-8). */
  readonly moved: boolean
  /** Opened with a view link: nothing is written here, kept here or stored anywhere (VIEW-5). */
  readonly viewOnly: boolean
}

export const INITIAL_STATUS: SyncStatus = {
  networkEnabled: true,
  connection: 'connecting',
  peers: 0,
  loaded: false,
  saved: true,
  problem: null,
  notice: null,
  pinned: 'off',
  stores: 0,
  relayed: 0,
  moved: false,
  viewOnly: false,
}

export class StatusModel {
  private current: SyncStatus
  private readonly listeners = new Set<(status: SyncStatus) => void>()

  constructor(initial: SyncStatus = INITIAL_STATUS) {
    this.current = initial
  }

  get(): SyncStatus {
    return this.current
  }

  update(patch: Partial<SyncStatus>): void {
    const next = { ...this.current, ...patch }
    const keys = Object.keys(next) as (keyof SyncStatus)[]
    if (keys.every((key) => next[key] === this.current[key])) return
    this.current = next
    for (const listener of this.listeners) listener(next)
  }

  subscribe(listener: (status: SyncStatus) => void): () => void {
    this.listeners.add(listener)
    listener(this.current)
    return () => this.listeners.delete(listener)
  }
}
