import { describe, expect, it } from 'vitest'
import { SignalingFailover } from '../../../src/sync/signaling-failover'
import { ManualClock } from '../../helpers/manual-clock'

describe('signaling failover policy', () => {
  it('[SYNC-4] stays on a reachable server and moves on, round robin, after it is down for a while', () => {
    const clock = new ManualClock(0)
    const policy = new SignalingFailover(['ws://a', 'ws://b', 'ws://c'], clock, 3_000)
    expect(policy.current()).toBe('ws://a')
    clock.advance(10_000)
    expect(policy.observe(true)).toBeNull()
    clock.advance(2_000)
    expect(policy.observe(false)).toBeNull()
    clock.advance(1_000)
    expect(policy.observe(false)).toBe('ws://b')
    expect(policy.current()).toBe('ws://b')
    clock.advance(2_000)
    expect(policy.observe(false)).toBeNull()
    clock.advance(1_000)
    expect(policy.observe(false)).toBe('ws://c')
    clock.advance(3_000)
    expect(policy.observe(false)).toBe('ws://a')
  })

  it('[SYNC-4] never blames a server while paused, and a single URL never rotates', () => {
    const clock = new ManualClock(0)
    const policy = new SignalingFailover(['ws://a', 'ws://b'], clock, 3_000)
    clock.advance(5_000)
    expect(policy.observe(false, true)).toBeNull()
    clock.advance(2_000)
    expect(policy.observe(false)).toBeNull()
    clock.advance(1_000)
    expect(policy.observe(false)).toBe('ws://b')
    const single = new SignalingFailover(['ws://only'], clock, 3_000)
    clock.advance(60_000)
    expect(single.observe(false)).toBeNull()
    expect(() => new SignalingFailover([], clock)).toThrow(/at least one/)
  })
})
