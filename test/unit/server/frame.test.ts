import { describe, expect, it } from 'vitest'
import * as ws from 'ws'
import { encodeTextFrame } from '../../../server/signaling/frame'

/** ws's frame parser; exported by ws at runtime but absent from @types/ws. */
interface FrameReceiver {
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void
  on(event: 'error', listener: (error: Error) => void): void
  write(chunk: Buffer): void
}
const { Receiver } = ws as unknown as {
  Receiver: new (options: { isServer: boolean; maxPayload: number }) => FrameReceiver
}

/** Parses `wire` with ws's own receiver (as a client would): an independent decoder. */
function decode(wire: Buffer): { text: string; isBinary: boolean }[] {
  const out: { text: string; isBinary: boolean }[] = []
  const receiver = new Receiver({ isServer: false, maxPayload: 0 })
  receiver.on('message', (data: Buffer, isBinary: boolean) =>
    out.push({ text: data.toString('utf8'), isBinary }),
  )
  receiver.on('error', (error: Error) => {
    throw error
  })
  receiver.write(wire)
  return out
}

describe('relayed frame encoding', () => {
  // The header changes form at 126 and 65,536 bytes (RFC 6455 §5.2): every boundary is checked.
  it.each([0, 1, 125, 126, 127, 65_535, 65_536, 300_000])(
    '[SIG-21] a %i-byte text frame decodes to the same text with a standard receiver',
    (length) => {
      const text = 'a'.repeat(length)
      const frame = encodeTextFrame(text)
      expect(decode(frame.wire)).toEqual([{ text, isBinary: false }])
      expect(frame.payload.toString('utf8')).toBe(text)
      expect(frame.wire.byteLength - frame.payload.byteLength).toBe(
        length < 126 ? 2 : length < 65_536 ? 4 : 10,
      )
    },
  )

  it('[SIG-21] counts the length in UTF-8 bytes, not characters', () => {
    const text = '{"data":"grüße 🙂"}'
    const frame = encodeTextFrame(text)
    expect(frame.payload.byteLength).toBe(Buffer.byteLength(text))
    expect(decode(frame.wire)).toEqual([{ text, isBinary: false }])
  })
})
