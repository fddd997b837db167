import { describe, expect, it } from 'vitest'
import { Reassembler, type ReassembledMessage } from '../../../src/sync/chunked/reassembler'
import type { DataFrame } from '../../../src/sync/chunked/framing'
import { CHUNK_PAYLOAD_BYTES } from '../../../src/protocol/chunking'
import { createRng } from '../../helpers/random'
import { framesOf, pattern } from './frames'

const limits = {
  maxMessageBytes: 64 * 1024 * 1024,
  maxPartialMessages: 8,
  maxPendingBytes: 64 * 1024 * 1024,
}

function feed(reassembler: Reassembler, frames: readonly DataFrame[]): ReassembledMessage[] {
  const out: ReassembledMessage[] = []
  for (const frame of frames) {
    const result = reassembler.push(frame)
    if (!result.ok) throw new Error(`rejected: ${result.reason}: ${result.detail}`)
    out.push(...result.messages)
  }
  return out
}

const binary = (message: ReassembledMessage | undefined): Uint8Array => {
  if (message?.kind !== 'binary') throw new Error(`expected a binary message, got ${message?.kind}`)
  return message.data
}

describe('Reassembler', () => {
  it('[CHUNK-1] messages of 0 B, 1 B, one chunk, one byte over and 20 MB arrive whole, in order', () => {
    const C = CHUNK_PAYLOAD_BYTES
    const sizes = [0, 1, C, C + 1, 20 * 1024 * 1024]
    const messages = sizes.map((size, i) => pattern(size, i + 1))
    const frames = framesOf(messages, C)
    expect(frames.map((f) => f.length)).toEqual([1, 1, 1, 2, Math.ceil((20 * 1024 * 1024) / C)])
    const out = feed(new Reassembler(limits), frames.flat())
    expect(out.length).toBe(sizes.length)
    out.forEach((message, i) => {
      const data = binary(message)
      expect(data.byteLength).toBe(sizes[i])
      expect(Buffer.compare(data, messages[i] as Uint8Array)).toBe(0)
      // Delivered bytes own their whole buffer, so `.buffer` is exactly the message.
      expect(data.byteOffset).toBe(0)
      expect(data.buffer.byteLength).toBe(sizes[i])
    })
  })

  it('[CHUNK-1] strings (multi-byte UTF-8 split mid-character) come back as equal strings', () => {
    const text = 'ä€𝄞 Meshpad '.repeat(5000)
    const out = feed(new Reassembler(limits), framesOf([text, ''], 1000).flat())
    expect(out).toEqual([
      { kind: 'string', data: text },
      { kind: 'string', data: '' },
    ])
  })

  it('[CHUNK-1] interleaved chunks of several in-flight messages are delivered once, in id order', () => {
    const rng = createRng(0xc0ffee)
    const messages = Array.from({ length: 6 }, (_, i) => pattern(1 + rng.int(5000), i + 7))
    const perMessage = framesOf(messages, 300)
    // Shuffle across messages while keeping each message's own chunks in order, and every
    // message's first chunk in id order (what the sequencing rules allow).
    const cursors = perMessage.map(() => 0)
    const started = { count: 0 }
    const order: DataFrame[] = []
    while (order.length < perMessage.flat().length) {
      const candidates = perMessage
        .map((_, i) => i)
        .filter(
          (i) => cursors[i]! < perMessage[i]!.length && (cursors[i]! > 0 || i === started.count),
        )
      const i = rng.pick(candidates)
      if (cursors[i] === 0) started.count++
      order.push(perMessage[i]![cursors[i]!++]!)
    }
    const out = feed(new Reassembler({ ...limits, maxPartialMessages: 6 }), order)
    expect(out.map((m) => Buffer.from(binary(m)).toString('hex'))).toEqual(
      messages.map((m) => Buffer.from(m).toString('hex')),
    )
  })

  describe('[CHUNK-3] rejects bad sequences with a reason and delivers nothing partial', () => {
    const C = 100
    const setup = () => {
      const reassembler = new Reassembler(limits)
      const [done, big] = framesOf([pattern(250, 1), pattern(1000, 2)], C)
      const delivered = feed(reassembler, done!)
      expect(delivered.length).toBe(1)
      return { reassembler, big: big!, delivered }
    }
    const expectRejected = (reassembler: Reassembler, frame: DataFrame, reason: string): void => {
      const result = reassembler.push(frame)
      expect(result).toMatchObject({ ok: false, reason })
      expect(reassembler.failed?.reason).toBe(reason)
      expect(reassembler.partialCount).toBe(0)
    }

    it('a duplicate chunk', () => {
      const { reassembler, big, delivered } = setup()
      feed(reassembler, big.slice(0, 3))
      expectRejected(reassembler, big[2]!, 'chunk-out-of-order')
      // Sticky: the rest of the message no longer completes anything.
      expect(reassembler.push(big[3]!)).toMatchObject({ ok: false, reason: 'chunk-out-of-order' })
      expect(Buffer.compare(binary(delivered[0]), pattern(250, 1))).toBe(0)
    })

    it('an out-of-order chunk', () => {
      const { reassembler, big } = setup()
      feed(reassembler, big.slice(0, 2))
      expectRejected(reassembler, big[3]!, 'chunk-out-of-order')
    })

    it('a chunk of a message that never started', () => {
      const { reassembler, big } = setup()
      expectRejected(reassembler, big[1]!, 'chunk-out-of-order')
    })

    it('a skipped or reused message id', () => {
      const { reassembler, big } = setup()
      expectRejected(reassembler, { ...big[0]!, messageId: 5 }, 'unexpected-message-id')
      const again = new Reassembler(limits)
      const [first] = framesOf([pattern(10, 3)], C)
      feed(again, first!)
      expectRejected(again, first![0]!, 'unexpected-message-id')
    })

    it('a declared length over maxMessageBytes, before any payload is kept', () => {
      const reassembler = new Reassembler({ ...limits, maxMessageBytes: 999 })
      const [big] = framesOf([pattern(1000, 2)], C)
      expectRejected(reassembler, big![0]!, 'message-too-large')
    })

    it('payload longer or shorter than declared', () => {
      const { reassembler, big } = setup()
      feed(reassembler, big.slice(0, 9))
      const last = big[9]!
      expectRejected(
        reassembler,
        { ...last, payload: new Uint8Array(last.payload.byteLength + 1) },
        'length-mismatch',
      )
      const short = new Reassembler(limits)
      feed(short, framesOf([pattern(250, 1)], C)[0]!.slice(0, 2))
      const [, , tail] = framesOf([pattern(250, 1)], C)[0]!
      expectRejected(short, { ...tail!, payload: tail!.payload.subarray(1) }, 'length-mismatch')
    })

    it('a chunk whose count or kind contradicts its first chunk', () => {
      const { reassembler, big } = setup()
      feed(reassembler, big.slice(0, 1))
      expectRejected(reassembler, { ...big[1]!, count: 11 }, 'malformed-frame')
      const other = setup()
      feed(other.reassembler, other.big.slice(0, 1))
      expectRejected(other.reassembler, { ...other.big[1]!, kind: 'string' }, 'malformed-frame')
    })

    it('more chunks declared than bytes', () => {
      const reassembler = new Reassembler(limits)
      const [m] = framesOf([pattern(3, 1)], C)
      expectRejected(reassembler, { ...m![0]!, count: 4 }, 'malformed-frame')
    })

    it('too many partial messages, or partials over the memory budget', () => {
      const reassembler = new Reassembler({ ...limits, maxPartialMessages: 2 })
      const frames = framesOf([pattern(300, 1), pattern(300, 2), pattern(300, 3)], C)
      feed(reassembler, [frames[0]![0]!, frames[1]![0]!])
      expectRejected(reassembler, frames[2]![0]!, 'too-many-partial-messages')

      const budget = new Reassembler({ ...limits, maxPendingBytes: 500 })
      feed(budget, [frames[0]![0]!])
      expectRejected(budget, frames[1]![0]!, 'reassembly-budget-exceeded')
    })

    it('a string message that is not UTF-8', () => {
      const reassembler = new Reassembler(limits)
      const [m] = framesOf([new Uint8Array([0xff, 0xfe])], C)
      expectRejected(reassembler, { ...m![0]!, kind: 'string' }, 'invalid-utf8')
    })
  })
})
