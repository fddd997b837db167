import type * as Y from 'yjs'
import { onDocChange } from '../doc/doc-changes'
import type { LoadReport } from './idb-store'
import type { StatusModel, SyncNotice } from './status'

// Telling the user that a document was rebuilt (rules RECOVER-1, RECOVER-2). Rebuilding needs
// nothing of its own: a session loads the local copy, then replicates, so a copy that was
// removed or set aside as corrupt (SAVE-3) fills again from WebRTC peers and always-on peers.
// This watches for that: when the local copy was missing or damaged at load and content then
// arrives from the network, the status model gets a notice naming where it came from.

export type RemoteSource = 'peers' | 'server'

export interface RecoveryOptions {
  /** Where a change with this transaction origin came from; null for this tab and IndexedDB. */
  readonly sourceOf: (origin: unknown) => RemoteSource | null
  /**
   * This browser held content of the document before (its list has a title derived from it), so
   * an empty store at load means the copy was removed, not that the document is new here.
   */
  readonly expectStoredCopy: boolean
}

/** What the load found: the copy was missing, damaged, or neither (or storage is off). */
export function lossAtLoad(
  report: LoadReport | null,
  expectStoredCopy: boolean,
): 'missing' | 'damaged' | null {
  if (report === null) return null
  if (report.corrupt > 0) return 'damaged'
  return report.rows === 0 && expectStoredCopy ? 'missing' : null
}

/** Starts watching at once (content may arrive before the load ends); returns a stop function. */
export function watchRecovery(
  doc: Y.Doc,
  status: StatusModel,
  loaded: Promise<LoadReport | null>,
  options: RecoveryOptions,
): () => void {
  let first: RemoteSource | null = null
  let loss: 'missing' | 'damaged' | null | undefined
  let stopped = false
  const stop = (): void => {
    if (stopped) return
    stopped = true
    stopWatching()
  }
  const decide = (): void => {
    if (loss === undefined || stopped) return
    if (loss === null) return stop()
    if (first === null) return
    const notice: SyncNotice = `rebuilt-${loss}-from-${first}`
    // The notice replaces the warning that part of the copy was set aside.
    const clears = status.get().problem === 'storage-corrupt'
    status.update({ notice, ...(clears ? { problem: null } : {}) })
    stop()
  }
  const stopWatching = onDocChange(doc, (origin) => {
    if (first !== null) return
    first = options.sourceOf(origin)
    decide()
  })
  void loaded.then(
    (report) => {
      loss = lossAtLoad(report, options.expectStoredCopy)
      decide()
    },
    () => stop(),
  )
  return stop
}
