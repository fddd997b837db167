import type * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'
import type { DocKeys } from '../../share/keys'
import type { ReplicationAdapter } from '../port'
import type { PinnedState, StatusModel } from '../status'
import { StoreReplicator } from './replicator'
import { browserSocket, type SocketFactory } from './store-link'

// Every always-on peer a document is kept on (rule PIN-1..3, STORE-12): the browser writes to all
// of them and reads from any, so losing one loses nothing. This is the replication adapter the
// session sees; it numbers this browser's own changes so that `pinned` can say exactly whether
// every one of them is durable on at least one always-on peer.

export interface AlwaysOnOptions {
  readonly urls: readonly string[]
  readonly keys: DocKeys
  /** True for origins through which changes arrive from elsewhere (WebRTC, IndexedDB). */
  readonly isRemoteOrigin: (origin: unknown) => boolean
  readonly socket?: SocketFactory
  readonly maxEntryBytes?: number
  readonly warn?: (message: string, error?: unknown) => void
}

/** Matches the server's default STORE_MAX_ENTRY_BYTES. */
const DEFAULT_MAX_ENTRY_BYTES = 16 * 1024 * 1024

export class AlwaysOnGroup implements ReplicationAdapter {
  private readonly replicators: StoreReplicator[]
  private mark = 0
  /** Off until `connect`: the session connects once the local copy is loaded. */
  private enabled = false

  constructor(
    private readonly doc: Y.Doc,
    awareness: Awareness,
    private readonly status: StatusModel,
    private readonly options: AlwaysOnOptions,
  ) {
    const warn = options.warn ?? (() => undefined)
    this.replicators = [...new Set(options.urls)].map(
      (url) =>
        new StoreReplicator({
          url,
          keys: options.keys,
          doc,
          awareness,
          socket: options.socket ?? browserSocket,
          maxEntryBytes: options.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES,
          onChange: () => this.refresh(),
          warn,
        }),
    )
    doc.on('update', this.onUpdate)
    this.refresh()
  }

  /** For tests and the bench: the replicators' states. */
  states(): readonly StoreReplicator[] {
    return this.replicators
  }

  connect(): void {
    if (this.enabled) return
    this.enabled = true
    for (const replicator of this.replicators) replicator.start()
    this.refresh()
  }

  disconnect(): void {
    if (!this.enabled) return
    this.enabled = false
    for (const replicator of this.replicators) replicator.pause()
    this.refresh()
  }

  destroy(): Promise<void> {
    this.doc.off('update', this.onUpdate)
    for (const replicator of this.replicators) replicator.destroy()
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

  private refresh(): void {
    const ready = this.replicators.filter((replicator) => replicator.state === 'ready')
    const acked = Math.max(0, ...this.replicators.map((replicator) => replicator.ackedMark))
    let pinned: PinnedState
    if (ready.length === 0) pinned = 'off'
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
