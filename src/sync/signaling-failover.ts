import { systemClock, type Clock } from './clock'

// Which signaling server to use now (rules SYNC-4, SIG-SCALE-2). y-webrtc, given several URLs,
// connects to all of them at once; against instances joined by one bus (Redis) every message then
// arrives once per socket, duplicate answers break the WebRTC handshake, and peers never connect
// (measured here). So Meshpad uses one URL at a time and moves to the next, round robin, once the
// current one has been unreachable for `afterMs`. Peers already connected are not touched: only
// finding new peers needs signaling.

export const FAILOVER_AFTER_MS = 3_000

export class SignalingFailover {
  private index = 0
  private waitingSince: number

  constructor(
    private readonly urls: readonly string[],
    private readonly clock: Pick<Clock, 'now'> = systemClock,
    private readonly afterMs = FAILOVER_AFTER_MS,
  ) {
    if (urls.length === 0) throw new Error('SignalingFailover needs at least one signaling URL')
    this.waitingSince = clock.now()
  }

  current(): string {
    return this.urls[this.index] as string
  }

  /**
   * Reports whether the current server is reachable; returns the URL to switch to, or null to
   * stay. `paused` (network toggle off, browser offline) restarts the wait: an unreachable
   * server is only blamed while we are actually trying to reach it.
   */
  observe(connected: boolean, paused = false): string | null {
    const now = this.clock.now()
    if (connected || paused || this.urls.length === 1) {
      this.waitingSince = now
      return null
    }
    if (now - this.waitingSince < this.afterMs) return null
    this.index = (this.index + 1) % this.urls.length
    this.waitingSince = now
    return this.current()
  }
}
