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
  /** The network toggle: pause or resume every replication channel. */
  setNetworkEnabled(enabled: boolean): void
  destroy(): Promise<void>
}
