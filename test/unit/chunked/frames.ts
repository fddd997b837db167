// Builds the frames the real Sender would put on the wire, for feeding a Reassembler by hand.
import { decodeDataFrame, type DataFrame } from '../../../src/sync/chunked/framing'
import { Sender } from '../../../src/sync/chunked/sender'

export function framesOf(
  messages: readonly (string | Uint8Array)[],
  chunkBytes: number,
): DataFrame[][] {
  const sender = new Sender({ chunkBytes, highWaterMark: Number.MAX_SAFE_INTEGER })
  const utf8 = new TextEncoder()
  const out: DataFrame[][] = messages.map(() => [])
  let current = 0
  let remaining = 0
  const perMessage = messages.map((m) =>
    Math.max(1, Math.ceil((typeof m === 'string' ? utf8.encode(m) : m).byteLength / chunkBytes)),
  )
  for (const m of messages) {
    if (typeof m === 'string') sender.enqueue('string', utf8.encode(m))
    else sender.enqueue('binary', m)
  }
  remaining = perMessage[0] ?? 0
  sender.pump({
    bufferedAmount: 0,
    send(frame) {
      const decoded = decodeDataFrame(frame)
      if (!decoded.ok) throw new Error(`sender produced a bad frame: ${decoded.detail}`)
      out[current]?.push(decoded.value)
      if (--remaining === 0) remaining = perMessage[++current] ?? 0
    },
  })
  return out
}

/** Deterministic bytes so a corrupted or misplaced chunk shows up as a mismatch. */
export function pattern(length: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length)
  let x = seed >>> 0 || 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}
