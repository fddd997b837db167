import { describe, expect, it } from 'vitest'
import { Sender, chunkCount, type FrameSink } from '../../../src/sync/chunked/sender'
import { decodeDataFrame } from '../../../src/sync/chunked/framing'
import { MAX_FRAME_BYTES } from '../../../src/protocol/chunking'

/** A sink whose buffer only drains when the test says so. */
class ManualSink implements FrameSink {
  bufferedAmount = 0
  maxBuffered = 0
  failNext = 0
  readonly frames: Uint8Array[] = []
  send(frame: Uint8Array): void {
    if (this.failNext > 0) {
      this.failNext--
      throw new Error('OperationError: refused')
    }
    this.frames.push(frame)
    this.bufferedAmount += frame.byteLength
    this.maxBuffered = Math.max(this.maxBuffered, this.bufferedAmount)
  }
}

describe('Sender', () => {
  it('[CHUNK-2] one pump never takes the sink over the high-water mark', () => {
    const highWaterMark = 64 * 1024
    const sender = new Sender({ chunkBytes: 16_000, highWaterMark })
    sender.enqueue('binary', new Uint8Array(1_000_000))
    const sink = new ManualSink()
    let pumps = 0
    for (;;) {
      const result = sender.pump(sink)
      pumps++
      expect(sink.bufferedAmount).toBeLessThanOrEqual(highWaterMark)
      if (result.status === 'idle') break
      expect(result.status).toBe('blocked')
      sink.bufferedAmount = Math.max(0, sink.bufferedAmount - 40_000) // partial drain
    }
    expect(sink.maxBuffered).toBeLessThanOrEqual(highWaterMark)
    expect(sink.frames.length).toBe(chunkCount(1_000_000, 16_000))
    expect(sink.frames.every((f) => f.byteLength <= MAX_FRAME_BYTES)).toBe(true)
    expect(pumps).toBeGreaterThan(10)
    expect(sender.queuedBytes).toBe(0)
  })

  it('[CHUNK-2] a sink whose bufferedAmount lags still gets at most one high-water mark per pump', () => {
    const sender = new Sender({ chunkBytes: 1000, highWaterMark: 10_000 })
    sender.enqueue('binary', new Uint8Array(100_000))
    let sent = 0
    const result = sender.pump({ bufferedAmount: 0, send: (f) => void (sent += f.byteLength) })
    expect(result.status).toBe('blocked')
    expect(sent).toBeLessThanOrEqual(10_000)
  })

  it('[CHUNK-2] queuedBytes counts payload not yet handed to the sink', () => {
    const sender = new Sender({ chunkBytes: 100, highWaterMark: 1000 })
    sender.enqueue('binary', new Uint8Array(5000))
    sender.enqueue('string', new Uint8Array(10))
    expect(sender.queuedBytes).toBe(5010)
    sender.pump(new ManualSink())
    expect(sender.queuedBytes).toBeLessThan(5010)
    expect(sender.queuedBytes).toBeGreaterThan(4000)
  })

  it('[CHUNK-5] a frame the sink refuses is kept and resent, never skipped', () => {
    const sender = new Sender({ chunkBytes: 10, highWaterMark: 1_000_000 })
    sender.enqueue(
      'binary',
      Uint8Array.from({ length: 35 }, (_, i) => i),
    )
    const sink = new ManualSink()
    sink.failNext = 1
    const first = sender.pump(sink)
    expect(first).toMatchObject({ status: 'failed', framesSent: 0 })
    expect(first.status === 'failed' && String(first.error)).toContain('refused')
    sink.bufferedAmount = 0
    expect(sender.pump(sink)).toMatchObject({ status: 'idle', framesSent: 4 })
    expect(sink.frames.length).toBe(4)
    const decoded = sink.frames.map((f) => decodeDataFrame(f))
    expect(decoded.map((d) => d.ok && d.value.index)).toEqual([0, 1, 2, 3])
    const payload = decoded.flatMap((d) => (d.ok ? [...d.value.payload] : []))
    expect(payload).toEqual(Array.from({ length: 35 }, (_, i) => i))
  })

  it('a deferred message holds its place in the queue until its bytes arrive', () => {
    const sender = new Sender({ chunkBytes: 10, highWaterMark: 1_000_000 })
    const supply = sender.enqueueDeferred('binary', 25)
    sender.enqueue('string', new TextEncoder().encode('after'))
    const sink = new ManualSink()
    expect(sender.pump(sink)).toMatchObject({ status: 'waiting', framesSent: 0 })
    supply(new Uint8Array(21))
    expect(sender.queuedBytes).toBe(26)
    expect(sender.pump(sink)).toMatchObject({ status: 'idle', framesSent: 4 })
    const ids = sink.frames.map((f) => {
      const d = decodeDataFrame(f)
      return d.ok ? d.value.messageId : -1
    })
    expect(ids).toEqual([0, 0, 0, 1])
  })
})
