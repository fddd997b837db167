import type { PutRejection } from '../../protocol/always-on'

// Tombstones on their way to one always-on peer (rule MOVE-2): each is put once the peer is
// ready, put again after a reconnect until the peer answers, and settles its promise with that
// answer: true once acknowledged (stored now, or stored before: a duplicate is acknowledged too),
// false when the peer refuses it for good or the replicator is destroyed.

interface Waiting {
  readonly bytes: Uint8Array
  readonly movedAt: number
  readonly resolve: (stored: boolean) => void
  requestId: number | null
  attempts: number
}

export interface SettledTombstone {
  readonly bytes: Uint8Array
  readonly movedAt: number
}

const RETRY_MS = 1_000

export class TombstoneOutbox {
  private waiting: Waiting[] = []
  private retry: ReturnType<typeof setTimeout> | null = null

  /** `put` sends one entry now and returns its request id, or null when it could not. */
  constructor(private readonly put: (entry: Uint8Array) => number | null) {}

  get pending(): boolean {
    return this.waiting.length > 0
  }

  add(bytes: Uint8Array, movedAt: number): Promise<boolean> {
    return new Promise((resolve) => {
      this.waiting.push({ bytes, movedAt, resolve, requestId: null, attempts: 0 })
    })
  }

  /** The peer is ready: puts every tombstone that is not in flight. */
  sendAll(): void {
    for (const item of this.waiting) {
      if (item.requestId === null) item.requestId = this.put(item.bytes)
    }
  }

  /** The connection dropped: nothing is in flight any more; the next welcome sends again. */
  lost(): void {
    for (const item of this.waiting) item.requestId = null
  }

  /** The tombstone this acknowledgement is for, or null when it answers another put. */
  acked(requestId: number): SettledTombstone | null {
    const item = this.take(requestId)
    item?.resolve(true)
    return item
  }

  /** True when the refusal was of a tombstone (handled here). */
  rejected(requestId: number, reason: PutRejection): boolean {
    const item = this.waiting.find((candidate) => candidate.requestId === requestId)
    if (item === undefined) return false
    if ((reason === 'rate-limited' || reason === 'storage-error') && item.attempts < 5) {
      // Passing conditions: the same bytes go again shortly.
      item.requestId = null
      item.attempts += 1
      this.retry ??= setTimeout(() => {
        this.retry = null
        this.sendAll()
      }, RETRY_MS * item.attempts)
      return true
    }
    this.take(requestId)?.resolve(false)
    return true
  }

  /** Nothing more will reach the peer (destroyed, or refused for good): every promise says no. */
  failAll(): void {
    if (this.retry) clearTimeout(this.retry)
    this.retry = null
    for (const item of this.waiting.splice(0)) item.resolve(false)
  }

  private take(requestId: number): Waiting | null {
    const index = this.waiting.findIndex((item) => item.requestId === requestId)
    if (index < 0) return null
    return this.waiting.splice(index, 1)[0] ?? null
  }
}
