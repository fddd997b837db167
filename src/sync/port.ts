// The narrow interface between the app and replication (as automerge-repo's
// NetworkAdapterInterface): the UI and editor only ever see this, the status model and the
// Y.Doc/awareness pair. Which library sits behind it (y-webrtc, IndexedDB) is sync/'s business.
import type * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'
import type { StatusModel } from './status'

export interface ReplicationAdapter {
  /** Starts or resumes replication. Idempotent. */
  connect(): void
  /** Pauses replication; local editing continues. Idempotent. */
  disconnect(): void
  /** Releases everything; the adapter is unusable afterwards. */
  destroy(): Promise<void>
}

export interface DocumentSession {
  readonly doc: Y.Doc
  readonly awareness: Awareness
  readonly status: StatusModel
  /** Resolves once the local copy is loaded (or storage failed and the session runs in memory). */
  readonly loaded: Promise<void>
  /** False for a view link: the editor is read-only and nothing this tab does is sent. */
  readonly canEdit: boolean
  /**
   * Ends this link (rules MOVE-2, MOVE-7): a tombstone signed with its write key goes to the peers
   * here and to every always-on peer. Says how many peers were told and whether an always-on
   * peer acknowledged. The caller has already carried the content to the new link.
   */
  moveAway(): Promise<{ readonly peers: number; readonly stores: boolean }>
  /** The network toggle: pause or resume every replication channel. */
  setNetworkEnabled(enabled: boolean): void
  destroy(): Promise<void>
}
