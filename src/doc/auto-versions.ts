import type * as Y from 'yjs'
import { onDocChange } from './doc-changes'
import { BODY_ORIGIN } from './pm-bridge'
import { changedSinceLastVersion, listVersions, saveVersion } from './versions'

// Automatic versions (rule VERSION-1): while someone edits, one every `intervalMs` of activity;
// and one when the last editor leaves. Only edits made here count as activity, so a browser that
// merely watches never saves; a version another peer saved recently counts as this one's too,
// so peers editing together do not each save the same moment.

export interface AutoVersionOptions {
  readonly intervalMs?: number
  readonly now?: () => number
  readonly nameOf?: (clientId: number) => string | null
}

export const AUTO_VERSION_INTERVAL_MS = 5 * 60_000

export class AutoVersions {
  private readonly intervalMs: number
  private readonly now: () => number
  private edited = false
  private readonly stop: () => void

  constructor(
    private readonly doc: Y.Doc,
    private readonly options: AutoVersionOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? AUTO_VERSION_INTERVAL_MS
    this.now = options.now ?? Date.now
    this.stop = onDocChange(doc, this.onChange)
  }

  destroy(): void {
    this.stop()
  }

  private latestAt(): number {
    return listVersions(this.doc)[0]?.at ?? 0
  }

  private readonly onChange = (origin: unknown): void => {
    if (origin !== BODY_ORIGIN) return
    this.edited = true
    const now = this.now()
    if (this.lastSave === 0) this.lastSave = this.latestAt() || now
    if (now - this.lastSave < this.intervalMs) return
    // Someone else may have saved meanwhile; their version stands for this moment too.
    this.lastSave = Math.max(this.lastSave, this.latestAt())
    if (now - this.lastSave < this.intervalMs) return
    this.save(now)
  }

  private lastSave = 0

  /** The editor is leaving; saves if it edited and is the last one here. */
  leave(lastEditorHere: boolean): void {
    if (!this.edited || !lastEditorHere) return
    this.save(this.now())
  }

  private save(now: number): void {
    if (!changedSinceLastVersion(this.doc)) return
    saveVersion(this.doc, {
      kind: 'auto',
      at: now,
      ...(this.options.nameOf ? { nameOf: this.options.nameOf } : {}),
    })
    this.lastSave = now
  }
}
