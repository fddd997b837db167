import { describe, expect, it } from 'vitest'
import { SignalingFailover } from '../../../src/sync/signaling-failover'

describe('signaling failover', () => {
  it('SYNC-4 stays on a reachable server and moves on, round robin, after it is down for a while', () => {
    const policy = new SignalingFailover(['ws://a', 'ws://b', 'ws://c'], 0, 3_000)
    expect(policy.current()).toBe('ws://a')
    expect(policy.observe(true, 10_000)).toBeNull()
    expect(policy.observe(false, 12_000)).toBeNull()
    expect(policy.observe(false, 13_000)).toBe('ws://b')
    expect(policy.current()).toBe('ws://b')
    expect(policy.observe(false, 15_000)).toBeNull()
    expect(policy.observe(false, 16_000)).toBe('ws://c')
    expect(policy.observe(false, 19_000)).toBe('ws://a')
  })

  it('SYNC-4 never blames a server while paused, and a single URL never rotates', () => {
    const policy = new SignalingFailover(['ws://a', 'ws://b'], 0, 3_000)
    expect(policy.observe(false, 5_000, true)).toBeNull()
    expect(policy.observe(false, 7_000)).toBeNull()
    expect(policy.observe(false, 8_000)).toBe('ws://b')
    const single = new SignalingFailover(['ws://only'], 0, 3_000)
    expect(single.observe(false, 60_000)).toBeNull()
    expect(() => new SignalingFailover([], 0)).toThrow(/at least one/)
  })
})
