import type * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'
import { docUpdates } from '../../doc/doc-updates'
import type { DocKeys, ReadKeys } from '../../share/keys'
import type { ReplicationAdapter } from '../port'
import type { PinnedState, StatusModel } from '../status'
import { ed25519Auto } from '../gate/ed25519'
import { Presence } from '../gate/presence'
import type { PresenceChannel } from './presence-relay'
import { StoreReplicator } from './replicator'
import { browserSocket, type SocketFactory } from './store-link'
import { sealTombstone } from './tombstone'
import { canWrite } from './write-access'

// Every always-on peer a document is kept on (rule PIN-1..3, STORE-12): the browser writes to all
// of them and reads from any, so losing one loses nothing. This is the replication adapter the
// session sees; it numbers this browser's own changes so that `pinned` can say exactly whether
// every one of them is durable on at least one always-on peer.
//
// With read keys (a view link) every peer is read from and none written to (STORE-13), and
// `pinned` never says `pinned`: a reader's changes are never stored anywhere. A move (MOVE-1..6)
// is one fact about the document, not about one peer: a tombstone heard from one peer is given
// to the others (STORE-12 for tombstones), and `onMoved` is called once.

export interface AlwaysOnOptions {
  readonly urls: readonly string[]
  /** DocKeys (an edit link) read and write; ReadKeys (a view link) only read. */
  readonly keys: ReadKeys | DocKeys
  /** True for origins through which changes arrive from elsewhere (WebRTC, IndexedDB). */
  readonly isRemoteOrigin: (origin: unknown) => boolean
  readonly socket?: SocketFactory
  readonly maxEntryBytes?: number
  readonly warn?: (message: string, error?: unknown) => void
  /**
   * Called once when a peer proves that the document moved to a new link (a tombstone signed by
   * its write key). Never for this browser's own `publishTombstone`, whose promise says it.
   */
  readonly onMoved?: (movedAt: number) => void
  /**
   * This session's signed presence: the gate's, so that peers and always-on peers see one
   * session. When absent (tools, tests) the group makes its own from the awareness.
   */
  readonly presence?: PresenceChannel
}

/** Matches the server's default STORE_MAX_ENTRY_BYTES. */
const DEFAULT_MAX_ENTRY_BYTES = 16 * 1024 * 1024

export class AlwaysOnGroup implements ReplicationAdapter {
  private readonly replicators: StoreReplicator[]
  private mark = 0
  /** Off until `connect`: the session connects once the local copy is loaded. */
  private enabled = false
  /** Known moved (heard, or published here): `onMoved` is not called (again). */
  private moved = false
  /** The presence this group made itself (no gate's given); destroyed with it. */
  private readonly ownPresence: Presence | null
  /** Stops onUpdate, once listen() subscribed it. */
  private stopListening: (() => void) | null = null

  constructor(
    private readonly doc: Y.Doc,
    awareness: Awareness,
    private readonly status: StatusModel,
    private readonly options: AlwaysOnOptions,
  ) {
    const warn = options.warn ?? (() => undefined)
    this.ownPresence = options.presence
      ? null
      : new Presence({ awareness, keys: options.keys, engine: ed25519Auto })
    const presence = options.presence ?? (this.ownPresence as Presence)
    this.replicators = [...new Set(options.urls)].map(
      (url) =>
        new StoreReplicator({
          url,
          keys: options.keys,
          doc,
          presence,
          socket: options.socket ?? browserSocket,
          maxEntryBytes: options.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES,
          onChange: () => this.refresh(),
          onMoved: (tombstone, movedAt) => this.heardMoved(tombstone, movedAt),
          warn,
        }),
    )
    this.refresh()
  }

  /**
   * Follows the document's updates from now on; the session calls it once the local copy is
   * loaded (connect does too). Not before: while anyone listens to the document's updates, Yjs
   * encodes every transaction, and the load is one transaction of the whole document, which this
   * group would ignore (nothing is uploaded before connect; the first exchange sends what a peer
   * lacks).
   */
  listen(): void {
    this.stopListening ??= docUpdates(this.doc).subscribe(this.onUpdate)
  }

  /** For tests and the bench: the replicators' states. */
  states(): readonly StoreReplicator[] {
    return this.replicators
  }

  connect(): void {
    if (this.enabled) return
    this.enabled = true
    this.listen()
    for (const replicator of this.replicators) replicator.start()
    this.refresh()
  }

  disconnect(): void {
    if (!this.enabled) return
    this.enabled = false
    for (const replicator of this.replicators) replicator.pause()
    this.refresh()
  }

  /**
   * Ends the document's old link on every always-on peer (MOVE-2): seals one tombstone with this
   * link's write key and puts it to each. Resolves true once at least one peer acknowledged it,
   * false when every peer refused it or this browser holds only read keys (then nothing is sent).
   * Peers that are unreachable get it when they come back, as long as the group lives.
   */
  publishTombstone(): Promise<boolean> {
    const keys = this.options.keys
    if (!canWrite(keys)) return Promise.resolve(false)
    this.moved = true
    const movedAt = Date.now()
    const tombstone = sealTombstone(keys, movedAt)
    return anyTrue(
      this.replicators.map((replicator) => replicator.putTombstone(tombstone, movedAt)),
    )
  }

  destroy(): Promise<void> {
    this.stopListening?.()
    this.stopListening = null
    for (const replicator of this.replicators) replicator.destroy()
    this.ownPresence?.leave()
    this.ownPresence?.destroy()
    return Promise.resolve()
  }

  private readonly onUpdate = (update: Uint8Array, origin: unknown): void => {
    const source = this.replicators.find((replicator) => replicator === origin)
    if (source !== undefined || this.options.isRemoteOrigin(origin)) {
      // From one always-on peer (or from elsewhere): the others get it if they lack it.
      for (const replicator of this.replicators) {
        if (replicator !== source) replicator.offerRemote(update)
      }
      return
    }
    this.mark += 1
    for (const replicator of this.replicators) replicator.offerLocal(update, this.mark)
    this.refresh()
  }

  private heardMoved(tombstone: Uint8Array, movedAt: number): void {
    // Every peer must learn it, not only the one that served it; a reader puts nothing.
    for (const replicator of this.replicators) void replicator.putTombstone(tombstone, movedAt)
    if (this.moved) return
    this.moved = true
    this.options.onMoved?.(movedAt)
  }

  private refresh(): void {
    const ready = this.replicators.filter((replicator) => replicator.state === 'ready')
    const acked = Math.max(0, ...this.replicators.map((replicator) => replicator.ackedMark))
    let pinned: PinnedState
    // A reader's changes are never stored: it is never `pinned`, whatever it is connected to.
    if (ready.length === 0 || !canWrite(this.options.keys)) pinned = 'off'
    else pinned = acked >= this.mark ? 'pinned' : 'pending'
    const relayed = new Set(ready.flatMap((replicator) => replicator.relayedClients()))
    const outdated = this.replicators.some((replicator) => replicator.state === 'outdated')
    const refused = this.replicators.some((replicator) => replicator.state === 'refused')
    const problem = this.status.get().problem
    const ownProblem = problem === 'app-outdated' || problem === 'store-refused'
    this.status.update({
      pinned: this.enabled ? pinned : 'off',
      stores: this.enabled ? ready.length : 0,
      relayed: this.enabled ? relayed.size : 0,
      ...(outdated
        ? { problem: 'app-outdated' as const }
        : refused
          ? { problem: 'store-refused' as const }
          : ownProblem
            ? { problem: null }
            : {}),
    })
  }
}

/** True as soon as one promise gives true; false once all gave false. */
function anyTrue(outcomes: readonly Promise<boolean>[]): Promise<boolean> {
  return new Promise((resolve) => {
    let left = outcomes.length
    if (left === 0) resolve(false)
    for (const outcome of outcomes) {
      void outcome.then((stored) => {
        left -= 1
        if (stored) resolve(true)
        else if (left === 0) resolve(false)
      })
    }
  })
}
