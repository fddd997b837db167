import { describe, expect, it } from 'vitest'
import {
  decodeDataFrame,
  decodeHello,
  encodeDataFrame,
  encodeDataHeader,
  encodeHello,
} from '../../../src/sync/chunked/framing'
import { CHUNK_PAYLOAD_BYTES, HELLO_MAGIC, MAX_FRAME_BYTES } from '../../../src/protocol/chunking'

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values)

describe('framing: hello', () => {
  it('round-trips the announced maxMessageBytes', () => {
    const decoded = decodeHello(encodeHello(64 * 1024 * 1024))
    expect(decoded).toEqual({ ok: true, value: { version: 1, maxMessageBytes: 64 * 1024 * 1024 } })
  })

  it('[CHUNK-4] a first frame that is a y-protocols message is not a hello', () => {
    // What a stock y-webrtc peer sends first: messageSync (0), syncStep1 (0), a state vector.
    const decoded = decodeHello(bytes(0, 0, 1, 0))
    expect(decoded).toMatchObject({ ok: false, reason: 'peer-does-not-speak-meshpad-chunking-v1' })
  })

  it('[CHUNK-4] a hello of another version is refused, naming both versions', () => {
    const decoded = decodeHello(bytes(...HELLO_MAGIC, 2, 10))
    expect(decoded).toMatchObject({ ok: false, reason: 'peer-does-not-speak-meshpad-chunking-v1' })
    expect(decoded.ok ? '' : decoded.detail).toContain('version 2')
  })

  it('[CHUNK-3] a truncated hello or one with trailing bytes is malformed', () => {
    expect(decodeHello(bytes(...HELLO_MAGIC, 1))).toMatchObject({
      ok: false,
      reason: 'malformed-frame',
    })
    expect(decodeHello(bytes(...HELLO_MAGIC, 1, 0x80))).toMatchObject({
      ok: false,
      reason: 'malformed-frame',
    })
    expect(decodeHello(bytes(...HELLO_MAGIC, 1, 5, 0))).toMatchObject({
      ok: false,
      reason: 'malformed-frame',
    })
    expect(decodeHello(bytes(...HELLO_MAGIC))).toMatchObject({
      ok: false,
      reason: 'peer-does-not-speak-meshpad-chunking-v1',
    })
  })
})

describe('framing: data frames', () => {
  it('round-trips first and later chunks, binary and string', () => {
    const payload = bytes(1, 2, 3)
    const first = decodeDataFrame(
      encodeDataFrame({ messageId: 7, index: 0, count: 2, kind: 'binary', byteLength: 5 }, payload),
    )
    expect(first.ok && first.value).toMatchObject({
      messageId: 7,
      index: 0,
      count: 2,
      kind: 'binary',
      byteLength: 5,
    })
    expect(first.ok && [...first.value.payload]).toEqual([1, 2, 3])
    const second = decodeDataFrame(
      encodeDataFrame(
        { messageId: 7, index: 1, count: 2, kind: 'string', byteLength: null },
        payload,
      ),
    )
    expect(second.ok && second.value).toMatchObject({ index: 1, kind: 'string', byteLength: null })
  })

  it('a full frame with the largest ids still fits in MAX_FRAME_BYTES', () => {
    const big = Number.MAX_SAFE_INTEGER
    const frame = encodeDataFrame(
      { messageId: big, index: 0, count: big, kind: 'binary', byteLength: big },
      new Uint8Array(CHUNK_PAYLOAD_BYTES),
    )
    expect(frame.byteLength).toBeLessThanOrEqual(MAX_FRAME_BYTES)
  })

  it('[CHUNK-3] a truncated header is rejected as malformed', () => {
    const header = encodeDataHeader({
      messageId: 300,
      index: 0,
      count: 3,
      kind: 'binary',
      byteLength: 40_000,
    })
    for (let cut = 0; cut < header.byteLength; cut++) {
      const decoded = decodeDataFrame(header.subarray(0, cut))
      expect(decoded.ok, `cut at ${cut}`).toBe(false)
      expect(decoded.ok ? '' : decoded.reason).toBe('malformed-frame')
    }
  })

  it('[CHUNK-3] a bad version, unknown flags, zero count or oversize frame is rejected', () => {
    expect(decodeDataFrame(bytes(2, 0, 0, 0, 1, 0))).toMatchObject({
      ok: false,
      reason: 'unsupported-version',
    })
    expect(decodeDataFrame(bytes(1, 0x80, 0, 0, 1, 0))).toMatchObject({
      ok: false,
      reason: 'malformed-frame',
    })
    expect(decodeDataFrame(bytes(1, 0, 0, 0, 0, 0))).toMatchObject({
      ok: false,
      reason: 'malformed-frame',
    })
    expect(decodeDataFrame(new Uint8Array(MAX_FRAME_BYTES + 1).fill(1))).toMatchObject({
      ok: false,
      reason: 'frame-too-large',
    })
  })

  it('[CHUNK-3] an index at or past the count is out of range', () => {
    const frame = encodeDataFrame(
      { messageId: 0, index: 3, count: 3, kind: 'binary', byteLength: null },
      bytes(1),
    )
    expect(decodeDataFrame(frame)).toMatchObject({ ok: false, reason: 'chunk-index-out-of-range' })
  })
})
