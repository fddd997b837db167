// Server-to-client WebSocket frames, encoded once and shared. A frame from a server is never
// masked (RFC 6455 §5.1), so the bytes of a relayed publish are the same for every subscriber:
// the relay encodes header and payload once per publish and hands the one buffer to each
// subscriber's socket, instead of ws building a header and two writes per subscriber.

const FIN_TEXT = 0x81 // FIN bit + opcode 1 (text)

export interface TextFrame {
  /** The complete, unfragmented, unmasked text frame as it goes on the wire. */
  readonly wire: Buffer
  /** The UTF-8 payload inside `wire` (a view, not a copy). */
  readonly payload: Buffer
}

/** Encodes `text` as one text frame, writing the UTF-8 bytes straight behind the header. */
export function encodeTextFrame(text: string): TextFrame {
  const length = Buffer.byteLength(text, 'utf8')
  const headerBytes = length < 126 ? 2 : length < 0x10000 ? 4 : 10
  const wire = Buffer.allocUnsafe(headerBytes + length)
  wire[0] = FIN_TEXT
  if (headerBytes === 2) {
    wire[1] = length
  } else if (headerBytes === 4) {
    wire[1] = 126
    wire.writeUInt16BE(length, 2)
  } else {
    wire[1] = 127
    // 64-bit length; frames here are bounded by the frame-size limit, far below 2^53.
    wire.writeBigUInt64BE(BigInt(length), 2)
  }
  wire.write(text, headerBytes, 'utf8')
  return { wire, payload: wire.subarray(headerBytes) }
}
