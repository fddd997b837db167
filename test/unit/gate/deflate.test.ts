import { describe, expect, it } from 'vitest'
import { canDeflate, deflate, inflate } from '../../../src/sync/gate/deflate'

// The compression of large updates (GATE-7) and its bounds on untrusted input (THREAT-13).

describe('deflate and bounded inflate', () => {
  it('[GATE-7] is available here and round-trips bytes, smaller when they repeat', async () => {
    expect(canDeflate()).toBe(true)
    const text = new TextEncoder().encode('the same sentence again. '.repeat(4000))
    const deflated = await deflate(text)
    expect(deflated.byteLength).toBeLessThan(text.byteLength / 10)
    expect(await inflate(deflated, text.byteLength)).toEqual(text)
    expect(await inflate(await deflate(new Uint8Array(0)), 0)).toEqual(new Uint8Array(0))
  })

  it('[THREAT-13] output past the stated size, short of it, truncated or garbled is refused', async () => {
    const text = new TextEncoder().encode('abcdefgh'.repeat(10_000))
    const deflated = await deflate(text)
    expect(await inflate(deflated, text.byteLength - 1)).toBeNull()
    expect(await inflate(deflated, text.byteLength + 1)).toBeNull()
    expect(await inflate(deflated.subarray(0, deflated.byteLength - 5), text.byteLength)).toBeNull()
    expect(await inflate(new Uint8Array(100).fill(0xff), 100)).toBeNull()
    // 64 MB of zeros stated as 1 KiB: refused without inflating the rest.
    const bomb = await deflate(new Uint8Array(64 * 1024 * 1024))
    expect(bomb.byteLength).toBeLessThan(100_000)
    expect(await inflate(bomb, 1024)).toBeNull()
  })
})
