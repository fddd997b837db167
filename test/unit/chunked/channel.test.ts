import { describe, expect, it, vi } from 'vitest'
import { ChunkedDataChannel, ChunkingError, type ChunkingOptions } from '../../../src/sync/chunked'
import { encodeDataFrame, encodeHello } from '../../../src/sync/chunked/framing'
import { CHUNK_PAYLOAD_BYTES, HELLO_MAGIC } from '../../../src/protocol/chunking'
import {
  fakePair,
  flushAll,
  microtasks,
  type FakeOptions,
  type FakeRawChannel,
} from './fake-channel'
import { pattern } from './frames'

interface Side {
  raw: FakeRawChannel
  channel: ChunkedDataChannel
  messages: unknown[]
  errors: ChunkingError[]
  reported: ChunkingError[]
  events: string[]
}

function side(raw: FakeRawChannel, options: ChunkingOptions): Side {
  const s: Side = {
    raw,
    channel: null as never,
    messages: [],
    errors: [],
    reported: [],
    events: [],
  }
  s.channel = new ChunkedDataChannel(raw, {
    ...options,
    onTransportError: (error) => s.reported.push(error),
  })
  s.channel.onmessage = (event) => s.messages.push(event.data)
  s.channel.onerror = (event) => s.errors.push(event.error as ChunkingError)
  for (const type of ['open', 'close', 'error', 'bufferedamountlow']) {
    s.channel.addEventListener(type, () => s.events.push(type))
  }
  return s
}

function connect(options: ChunkingOptions = {}, fake: FakeOptions = {}): { a: Side; b: Side } {
  const [rawA, rawB] = fakePair(fake)
  const a = side(rawA, options)
  const b = side(rawB, options)
  rawA.open()
  rawB.open()
  flushAll(rawA, rawB)
  expect(a.channel.readyState).toBe('open')
  expect(b.channel.readyState).toBe('open')
  return { a, b }
}

const flush = (s: { a: Side; b: Side }): void => flushAll(s.a.raw, s.b.raw)
const asBytes = (data: unknown): Buffer => {
  if (!(data instanceof ArrayBuffer)) throw new Error(`expected an ArrayBuffer, got ${typeof data}`)
  return Buffer.from(data)
}

describe('ChunkedDataChannel', () => {
  it('[CHUNK-1] 0 B, 1 B, one chunk, one byte over and 20 MB arrive whole, once, in order, both ways', () => {
    const pair = connect()
    const C = CHUNK_PAYLOAD_BYTES
    const sizes = [0, 1, C, C + 1, 20 * 1024 * 1024]
    const sent = sizes.map((n, i) => pattern(n, i + 1))
    for (const bytes of sent) pair.a.channel.send(bytes)
    for (const bytes of sent) pair.b.channel.send(bytes.buffer)
    flush(pair)
    for (const receiver of [pair.b, pair.a]) {
      expect(receiver.messages.length).toBe(sizes.length)
      receiver.messages.forEach((data, i) => {
        expect(asBytes(data).equals(Buffer.from(sent[i]!))).toBe(true)
      })
    }
    // Every frame on the wire fits in 16 KiB.
    expect(pair.a.raw.wire.every((f) => typeof f !== 'string' && f.byteLength <= 16384)).toBe(true)
    expect(pair.a.errors).toEqual([])
    expect(pair.b.errors).toEqual([])
  })

  it('[CHUNK-1] strings stay strings and binary stays binary, including views and empty ones', () => {
    const pair = connect()
    const text = '€ meshpad 𝄞 '.repeat(4000)
    const backing = pattern(100, 9)
    pair.a.channel.send(text)
    pair.a.channel.send('')
    pair.a.channel.send(new Uint8Array(backing.buffer, 10, 20))
    pair.a.channel.send(new ArrayBuffer(0))
    flush(pair)
    const [t, e, view, empty] = pair.b.messages
    expect(t).toBe(text)
    expect(e).toBe('')
    expect(asBytes(view).equals(Buffer.from(backing.subarray(10, 30)))).toBe(true)
    expect(asBytes(empty).byteLength).toBe(0)
  })

  it('[CHUNK-1] a message is copied at send(): mutating the buffer afterwards changes nothing', () => {
    const pair = connect()
    const bytes = new Uint8Array(40_000).fill(1)
    pair.a.channel.send(bytes)
    bytes.fill(9)
    flush(pair)
    expect(asBytes(pair.b.messages[0]).every((x) => x === 1)).toBe(true)
  })

  it('[CHUNK-1] several channels and several callers interleaved frame by frame stay separate and ordered', () => {
    const pairs = [connect({ chunkBytes: 500 }), connect({ chunkBytes: 700 }), connect()]
    const expected = pairs.map((pair, p) => {
      const out: string[] = []
      for (let m = 0; m < 5; m++) {
        // Two "callers" (e.g. sync and awareness) alternate on the same channel.
        const sync = `p${p}-sync-${m}-` + 'x'.repeat(3000 * m)
        const awareness = pattern(10 + 2000 * m, p * 10 + m)
        pair.a.channel.send(sync)
        pair.a.channel.send(awareness)
        out.push(sync, Buffer.from(awareness).toString('hex'))
      }
      return out
    })
    // One frame per channel per round.
    for (let moved = 1; moved > 0;) {
      moved = 0
      for (const pair of pairs) moved += pair.a.raw.flush(1) + pair.b.raw.flush(1)
    }
    pairs.forEach((pair, p) => {
      const got = pair.b.messages.map((d) =>
        typeof d === 'string' ? d : asBytes(d).toString('hex'),
      )
      expect(got).toEqual(expected[p])
    })
  })

  it("[CHUNK-1] binaryType 'blob' delivers Blobs, and a Blob can be sent", async () => {
    const pair = connect()
    pair.b.channel.binaryType = 'blob'
    pair.a.channel.send(new Blob([pattern(50_000, 3)]))
    pair.a.channel.send('after the blob')
    await vi.waitFor(() => {
      flush(pair)
      expect(pair.b.messages, 'the blob and the string after it').toHaveLength(2)
    })
    const [blob, text] = pair.b.messages
    expect(blob).toBeInstanceOf(Blob)
    expect(
      Buffer.from(await (blob as Blob).arrayBuffer()).equals(Buffer.from(pattern(50_000, 3))),
    ).toBe(true)
    expect(text).toBe('after the blob')
  })

  describe('[CHUNK-3] malformed inbound frames close the channel with a reason; nothing partial is delivered', () => {
    const C = 1000
    // Message 1 has 3 chunks; only its chunk 0 has arrived when the bad frame comes.
    const cases: [string, ArrayBuffer | string, string][] = [
      ['a truncated header', new Uint8Array([1, 1, 0x80]).buffer, 'malformed-frame'],
      ['a bad version', new Uint8Array([7, 1, 1, 1, 3, 0]).buffer, 'unsupported-version'],
      [
        'an index out of range',
        frame({ messageId: 1, index: 5, count: 5, kind: 'binary', byteLength: null }, 1),
        'chunk-index-out-of-range',
      ],
      [
        'an oversized declared length',
        frame({ messageId: 2, index: 0, count: 1, kind: 'binary', byteLength: 2 ** 40 }, 1),
        'message-too-large',
      ],
      [
        'a duplicate chunk',
        frame({ messageId: 1, index: 0, count: 3, kind: 'binary', byteLength: 2500 }, C),
        'chunk-out-of-order',
      ],
      [
        'an out-of-order chunk',
        frame({ messageId: 1, index: 2, count: 3, kind: 'binary', byteLength: null }, 500),
        'chunk-out-of-order',
      ],
      [
        'more bytes than declared',
        frame({ messageId: 1, index: 1, count: 3, kind: 'binary', byteLength: null }, 1501),
        'length-mismatch',
      ],
      ['a string frame', 'not a frame', 'malformed-frame'],
    ]
    for (const [what, bad, reason] of cases) {
      it(`${what} → ${reason}`, async () => {
        const pair = connect({ chunkBytes: C })
        pair.a.channel.send(pattern(2500, 1)) // message 0: delivered before the attack
        flush(pair)
        pair.a.channel.send(pattern(2500, 2)) // message 1: 3 chunks, only chunk 0 gets through
        pair.a.raw.flush(1)
        pair.a.raw.injectNext(bad)
        pair.a.raw.flush(1)
        await microtasks()
        expect(pair.b.errors.map((e) => e.reason)).toEqual([reason])
        expect(pair.b.reported.map((e) => e.reason)).toEqual([reason])
        expect(pair.b.errors[0]).toBeInstanceOf(ChunkingError)
        expect(pair.b.channel.readyState).toBe('closed')
        expect(pair.b.events.slice(-2)).toEqual(['error', 'close'])
        // The complete message before the attack is intact; the partial one never appears.
        expect(pair.b.messages.length).toBe(1)
        expect(asBytes(pair.b.messages[0]).equals(Buffer.from(pattern(2500, 1)))).toBe(true)
        // Nothing more is processed: the rest of message 1 is ignored.
        pair.a.raw.flush()
        expect(pair.b.messages.length).toBe(1)
      })
    }
  })

  describe('[CHUNK-4] a peer that does not speak the framing is refused with a clear reason', () => {
    const refusedBy = async (first: ArrayBuffer | string) => {
      const [rawA, rawB] = fakePair()
      const a = side(rawA, {})
      rawA.open()
      rawB.open()
      rawB.send(first) // rawB is an unwrapped peer (e.g. stock y-webrtc)
      rawB.send(new Uint8Array([0, 2, 1, 0]).buffer)
      flushAll(rawA, rawB)
      await microtasks()
      expect(a.events).toEqual(['error', 'close'])
      expect(a.messages).toEqual([])
      expect(a.channel.readyState).toBe('closed')
      expect(rawA.readyState).toBe('closed')
      return a.errors
    }

    it('a stock y-webrtc peer (sync step 1 first)', async () => {
      const errors = await refusedBy(new Uint8Array([0, 0, 1, 5, 3]).buffer)
      expect(errors.map((e) => e.reason)).toEqual(['peer-does-not-speak-meshpad-chunking-v1'])
    })

    it('a peer sending a string first', async () => {
      const errors = await refusedBy('{"hello":"world"}')
      expect(errors.map((e) => e.reason)).toEqual(['peer-does-not-speak-meshpad-chunking-v1'])
    })

    it('a peer speaking another version, named in the detail', async () => {
      const errors = await refusedBy(new Uint8Array([...HELLO_MAGIC, 2, 0]).buffer)
      expect(errors.map((e) => e.reason)).toEqual(['peer-does-not-speak-meshpad-chunking-v1'])
      expect(errors[0]?.message).toContain('version 2')
    })

    it('a silent peer: hello-timeout', async () => {
      const [rawA, rawB] = fakePair()
      const a = side(rawA, { helloTimeoutMs: 30 })
      rawA.open()
      rawB.open()
      await expect
        .poll(() => a.errors.map((e) => e.reason), { timeout: 5000, interval: 5 })
        .toEqual(['hello-timeout'])
      expect(a.events).toEqual(['error', 'close'])
    })

    it('our hello is what a stock peer sees first, and a wrapped side stays connecting until the hello', () => {
      const [rawA, rawB] = fakePair()
      const a = side(rawA, { maxMessageBytes: 1234 })
      rawA.open()
      expect(a.channel.readyState).toBe('connecting')
      expect(() => a.channel.send('too early')).toThrow(/InvalidState|not 'open'/)
      expect(Buffer.from(rawA.wire[0] as ArrayBuffer).equals(Buffer.from(encodeHello(1234)))).toBe(
        true,
      )
      rawB.open()
      rawB.send(encodeHello(99).buffer as ArrayBuffer)
      rawB.flush()
      expect(a.channel.readyState).toBe('open')
      expect(a.channel.peerHello).toEqual({ version: 1, maxMessageBytes: 99 })
    })
  })

  describe('[CHUNK-2] flow control bounds buffered bytes', () => {
    it('the real channel never buffers more than the high-water mark; our bufferedAmount counts the queue', async () => {
      const highWaterMark = 64 * 1024
      const pair = connect({ highWaterMark, lowWaterMark: 16 * 1024 })
      const a = pair.a
      a.channel.bufferedAmountLowThreshold = 1000
      a.channel.send(new Uint8Array(3_000_000))
      expect(a.raw.bufferedAmount).toBeLessThanOrEqual(highWaterMark)
      expect(a.channel.bufferedAmount).toBeGreaterThan(3_000_000 - highWaterMark)
      expect(a.channel.bufferedAmount).toBe(
        a.raw.bufferedAmount + 3_000_000 - (a.raw.wire.length - 1) * CHUNK_PAYLOAD_BYTES,
      )
      // Drain three frames at a time, as a slow network would.
      while (a.raw.flush(3) > 0) expect(a.raw.bufferedAmount).toBeLessThanOrEqual(highWaterMark)
      expect(a.raw.maxBuffered).toBeLessThanOrEqual(highWaterMark)
      expect(pair.b.messages.length).toBe(1)
      expect(a.channel.bufferedAmount).toBe(0)
      await microtasks()
      expect(a.events.filter((e) => e === 'bufferedamountlow').length).toBe(1)
    })

    it('without a bufferedamountlow event (as @roamhq/wrtc) it polls and still bounds the buffer', async () => {
      const highWaterMark = 32 * 1024
      const pair = connect({ highWaterMark, pollIntervalMs: 1 }, { lowEvent: false })
      pair.a.channel.send(pattern(500_000, 4))
      await vi.waitFor(
        () => {
          pair.a.raw.flush(2)
          pair.b.raw.flush()
          expect(pair.b.messages, '500 kB over a polling channel').toHaveLength(1)
        },
        { timeout: 10_000, interval: 1 },
      )
      expect(pair.a.raw.maxBuffered).toBeLessThanOrEqual(highWaterMark)
      expect(asBytes(pair.b.messages[0]).equals(Buffer.from(pattern(500_000, 4)))).toBe(true)
    })
  })

  describe('[CHUNK-5] a failed send is retried or surfaces, never swallowed', () => {
    it('a send refused twice is retried and the message arrives', async () => {
      const pair = connect({ retryDelayMs: 1 })
      pair.a.raw.failSends = 2
      pair.a.channel.send(pattern(50_000, 5))
      await vi.waitFor(
        () => {
          flush(pair)
          expect(pair.b.messages, 'the retried message').toHaveLength(1)
        },
        { timeout: 5000, interval: 2 },
      )
      expect(asBytes(pair.b.messages[0]).equals(Buffer.from(pattern(50_000, 5)))).toBe(true)
      expect(pair.a.errors).toEqual([])
    })

    it('a send that keeps failing surfaces as send-failed on the error event and onTransportError', async () => {
      const pair = connect({ retryDelayMs: 1, maxSendRetries: 2 })
      pair.a.raw.failSends = 1000
      pair.a.channel.send('lost?')
      await expect
        .poll(() => pair.a.errors.map((e) => e.reason), { timeout: 5000, interval: 2 })
        .toEqual(['send-failed'])
      expect(pair.a.reported.map((e) => e.reason)).toEqual(['send-failed'])
      expect(pair.a.errors[0]?.message).toContain('3 time(s)')
      expect(pair.a.channel.readyState).toBe('closed')
    })

    it('the transport closing with messages still queued surfaces as closed-before-sent', async () => {
      const pair = connect({ highWaterMark: 32 * 1024 })
      pair.a.channel.send(new Uint8Array(1_000_000))
      pair.b.raw.close() // the remote goes away mid-transfer
      await microtasks()
      expect(pair.a.errors.map((e) => e.reason)).toEqual(['closed-before-sent'])
      expect(pair.a.events.slice(-2)).toEqual(['error', 'close'])
    })

    it('a message larger than the peer accepts surfaces as outbound-message-too-large', async () => {
      const [rawA, rawB] = fakePair()
      const a = side(rawA, {})
      const b = side(rawB, { maxMessageBytes: 1000 })
      rawA.open()
      rawB.open()
      flushAll(rawA, rawB)
      a.channel.send(new Uint8Array(1001))
      await microtasks()
      expect(a.errors.map((e) => e.reason)).toEqual(['outbound-message-too-large'])
      expect(b.messages).toEqual([])
    })

    it('a local close() still sends what was queued, then closes, without an error', async () => {
      const pair = connect({ highWaterMark: 32 * 1024 })
      pair.a.channel.send(pattern(200_000, 6))
      pair.a.channel.close()
      expect(pair.a.channel.readyState).toBe('closing')
      expect(() => pair.a.channel.send('x')).toThrow()
      flush(pair)
      await microtasks()
      expect(pair.b.messages.length).toBe(1)
      expect(pair.a.channel.readyState).toBe('closed')
      expect(pair.a.errors).toEqual([])
      expect(pair.a.raw.listenerCount()).toBe(0)
    })
  })

  it('refuses an unordered or unreliable channel at once (bad config)', () => {
    const [raw] = fakePair()
    const unordered = Object.assign(Object.create(raw) as FakeRawChannel, { ordered: false })
    expect(() => new ChunkedDataChannel(unordered)).toThrow(/reliable, ordered/)
    expect(() => new ChunkedDataChannel(raw, { chunkBytes: 20_000 })).toThrow(/chunkBytes/)
  })

  it('a throwing message listener does not stop delivery of the next message', async () => {
    const pair = connect()
    const uncaught = vi.fn()
    pair.b.channel.addEventListener('message', () => {
      throw new Error('listener bug')
    })
    const original = globalThis.queueMicrotask
    globalThis.queueMicrotask = (task) =>
      original(() => {
        try {
          task()
        } catch (error) {
          uncaught(error)
        }
      })
    try {
      pair.a.channel.send('one')
      pair.a.channel.send('two')
      flush(pair)
      await microtasks()
    } finally {
      globalThis.queueMicrotask = original
    }
    expect(pair.b.messages).toEqual(['one', 'two'])
    expect(uncaught).toHaveBeenCalledTimes(2)
  })
})

function frame(header: Parameters<typeof encodeDataFrame>[0], payloadBytes: number): ArrayBuffer {
  return encodeDataFrame(header, new Uint8Array(payloadBytes)).buffer as ArrayBuffer
}
