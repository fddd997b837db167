// A token bucket: `capacity` tokens, refilled continuously at `ratePerSecond`. Each inbound
// message takes one token; a message that finds the bucket empty is over the rate limit.
// Time is passed in (milliseconds) so tests drive it without clocks.
export class TokenBucket {
  private tokens: number
  private last: number

  constructor(
    private readonly capacity: number,
    private readonly ratePerSecond: number,
    now: number,
  ) {
    if (!(capacity >= 1) || !(ratePerSecond > 0)) {
      throw new Error(
        `token bucket needs capacity >= 1 and rate > 0, got ${capacity}, ${ratePerSecond}`,
      )
    }
    this.tokens = capacity
    this.last = now
  }

  /** Takes one token if there is one; false means the caller is over its rate. */
  take(now: number): boolean {
    if (now > this.last) {
      this.tokens = Math.min(
        this.capacity,
        this.tokens + ((now - this.last) * this.ratePerSecond) / 1000,
      )
      this.last = now
    }
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}
