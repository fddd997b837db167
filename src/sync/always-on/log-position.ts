// How far this browser holds an always-on peer's log of one document: every entry up to the
// watermark, plus some beyond it that arrived early. Sequence numbers are dense, so a gap means
// an entry is missing (relayed out of order between instances, or lost with a connection); if it
// does not arrive within a few seconds, `onGap` asks the peer again from what is complete.

const GAP_RESYNC_MS = 3_000

export class LogPosition {
  /** Every entry up to this sequence number is held. */
  watermark = 0
  private readonly ahead = new Set<number>()
  private gapTimer: ReturnType<typeof setTimeout> | null = null

  constructor(private readonly onGap: () => void) {}

  /** True while entries past a gap are held: the log is not complete yet. */
  get hasGap(): boolean {
    return this.ahead.size > 0
  }

  /** True when the entry of this sequence number is already held. */
  holds(seq: number): boolean {
    return seq <= this.watermark || this.ahead.has(seq)
  }

  /** A welcome: the peer sent everything up to its head. */
  reset(head: number): void {
    this.watermark = head
    this.ahead.clear()
  }

  note(seq: number): void {
    if (seq <= this.watermark) return
    this.ahead.add(seq)
    while (this.ahead.delete(this.watermark + 1)) this.watermark += 1
    if (this.ahead.size === 0) {
      this.stop()
    } else if (!this.gapTimer) {
      this.gapTimer = setTimeout(() => {
        this.gapTimer = null
        if (this.ahead.size > 0) this.onGap()
      }, GAP_RESYNC_MS)
    }
  }

  stop(): void {
    if (this.gapTimer) clearTimeout(this.gapTimer)
    this.gapTimer = null
  }
}
