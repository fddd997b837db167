import * as encoding from 'lib0/encoding'

// Compressing a large update before it is sealed (rule GATE-7). A whole document sent to a new
// peer is mostly text, which deflate shrinks about threefold, and everything after it (XChaCha20
// in JavaScript, signing, the data channel at a few MB/s between browsers) costs by the byte.
// The platform's CompressionStream does the work natively (browsers; Node 18+); no library.
//
// Inflating is untrusted input from any editor: the output is bounded by the size the entry
// declares, itself bounded by the caller, and must match it exactly.

/** Whether this platform can compress (every browser Meshpad supports, and Node 18+). */
export function canDeflate(): boolean {
  return typeof CompressionStream === 'function' && typeof DecompressionStream === 'function'
}

async function collect(
  readable: ReadableStream<Uint8Array>,
  limit: number,
): Promise<Uint8Array | null> {
  const reader = readable.getReader()
  const out = encoding.createEncoder()
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => undefined)
      return null
    }
    encoding.writeUint8Array(out, value)
  }
  return encoding.toUint8Array(out)
}

function through(bytes: Uint8Array, stream: GenericTransformStream): ReadableStream<Uint8Array> {
  const writer = stream.writable.getWriter() as WritableStreamDefaultWriter<Uint8Array>
  // Errors surface on the readable side; these promises only must not go unhandled.
  writer.write(bytes).catch(() => undefined)
  writer.close().catch(() => undefined)
  return stream.readable as ReadableStream<Uint8Array>
}

/** `bytes` deflated (raw deflate, RFC 1951). */
export async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  const out = await collect(
    through(bytes, new CompressionStream('deflate-raw')),
    Number.MAX_SAFE_INTEGER,
  )
  if (out === null) throw new Error('deflate: unreachable limit')
  return out
}

/**
 * `bytes` inflated, or null when they do not inflate, inflate to more than `size` bytes (read no
 * further than that), or to fewer.
 */
export async function inflate(bytes: Uint8Array, size: number): Promise<Uint8Array | null> {
  try {
    const out = await collect(through(bytes, new DecompressionStream('deflate-raw')), size)
    return out !== null && out.byteLength === size ? out : null
  } catch {
    return null
  }
}
