import type { Clock, IntervalHandle } from '../../src/sync/clock'

// A clock that moves only when the test says so: `advance(ms)` runs every interval that falls
// due on the way, in time order, each seeing `now()` at its own due time. Timer-driven rules
// (the reconnect watchdog, signaling failover) are then proven step by step instead of by
// waiting in real time.

interface Interval {
  readonly id: number
  readonly every: number
  next: number
  readonly callback: () => void
}

export class ManualClock implements Clock {
  private time: number
  private nextId = 1
  private readonly intervals = new Map<number, Interval>()

  constructor(start = 1_000_000) {
    this.time = start
  }

  now(): number {
    return this.time
  }

  setInterval(callback: () => void, ms: number): IntervalHandle {
    if (!(ms > 0)) throw new Error(`ManualClock: an interval needs a positive period, got ${ms}`)
    const id = this.nextId++
    this.intervals.set(id, { id, every: ms, next: this.time + ms, callback })
    return id
  }

  clearInterval(handle: IntervalHandle): void {
    if (typeof handle === 'number') this.intervals.delete(handle)
  }

  /** Intervals still registered (cleared ones are gone). */
  get pending(): number {
    return this.intervals.size
  }

  advance(ms: number): void {
    const end = this.time + ms
    for (;;) {
      let due: Interval | undefined
      for (const interval of this.intervals.values()) {
        if (interval.next <= end && (due === undefined || interval.next < due.next)) due = interval
      }
      if (due === undefined) break
      this.time = due.next
      due.next += due.every
      due.callback()
    }
    this.time = end
  }
}
