// The time source of sync/'s timers (the reconnect watchdog, signaling failover, the status
// poll). The app uses the system clock; tests hand in a clock they advance themselves, so the
// rules that depend on elapsed time (SYNC-4, RECON-1) are proven without waiting for it.

/** A handle returned by `setInterval`, only good for passing back to `clearInterval`. */
export type IntervalHandle = unknown

export interface Clock {
  /** Milliseconds since the epoch, as `Date.now()`. */
  now(): number
  setInterval(callback: () => void, ms: number): IntervalHandle
  clearInterval(handle: IntervalHandle): void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
}
