import { describe, expect, it } from 'vitest'
import { TokenBucket } from '../../../server/signaling/token-bucket'

describe('token bucket', () => {
  it('[SIG-7] allows a burst of `capacity` messages, then refuses', () => {
    const bucket = new TokenBucket(5, 1, 0)
    for (let i = 0; i < 5; i++) expect(bucket.take(0)).toBe(true)
    expect(bucket.take(0)).toBe(false)
  })

  it('[SIG-7] refills at the configured rate, never beyond capacity', () => {
    const bucket = new TokenBucket(3, 10, 0)
    for (let i = 0; i < 3; i++) bucket.take(0)
    expect(bucket.take(50)).toBe(false) // half a token
    expect(bucket.take(100)).toBe(true) // one token after 100 ms at 10/s
    expect(bucket.take(100)).toBe(false)
    // An hour idle refills to capacity, not to 36,000 tokens.
    let granted = 0
    while (bucket.take(3_600_000)) granted++
    expect(granted).toBe(3)
  })

  it('[SIG-7] sustains exactly the rate over a long run', () => {
    const bucket = new TokenBucket(1, 50, 0)
    let granted = 0
    for (let t = 0; t <= 10_000; t += 1) if (bucket.take(t)) granted++
    expect(granted).toBeGreaterThanOrEqual(500)
    expect(granted).toBeLessThanOrEqual(501)
  })

  it('ignores a clock that goes backwards', () => {
    const bucket = new TokenBucket(1, 1, 1000)
    expect(bucket.take(1000)).toBe(true)
    expect(bucket.take(0)).toBe(false)
    expect(bucket.take(1000)).toBe(false)
    expect(bucket.take(2000)).toBe(true)
  })

  it('rejects a nonsensical configuration at once', () => {
    expect(() => new TokenBucket(0, 1, 0)).toThrow(/capacity/)
    expect(() => new TokenBucket(1, 0, 0)).toThrow(/rate/)
  })
})
