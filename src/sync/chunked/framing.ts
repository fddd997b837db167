// Encode and decode the frames of the chunked framing (layout in src/protocol/chunking.ts).
// Pure: no DOM, no Node. Decoding never throws: inbound bytes are untrusted, so every decoder
// returns either a typed value or a reason the frame is refused.
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import {
  CHUNKING_VERSION,
  FLAG_BINARY,
  HELLO_MAGIC,
  MAX_FRAME_BYTES,
  type ChunkingErrorReason,
} from '../../protocol/chunking'

export type MessageKind = 'string' | 'binary'

export interface Hello {
  readonly version: number
  /** Largest message, in bytes, the announcing side accepts. */
  readonly maxMessageBytes: number
}

export interface DataFrameHeader {
  readonly messageId: number
  readonly index: number
  readonly count: number
  readonly kind: MessageKind
  /** Total message length in bytes; present exactly on index 0. */
  readonly byteLength: number | null
}

export interface DataFrame extends DataFrameHeader {
  /** A view into the frame's bytes (not a copy). */
  readonly payload: Uint8Array
}

export interface Rejection {
  readonly reason: ChunkingErrorReason
  readonly detail: string
}

export type Decoded<T> =
  { readonly ok: true; readonly value: T } | ({ readonly ok: false } & Rejection)

const reject = (reason: ChunkingErrorReason, detail: string): { ok: false } & Rejection => ({
  ok: false,
  reason,
  detail,
})

export function encodeHello(maxMessageBytes: number): Uint8Array {
  const encoder = encoding.createEncoder()
  for (const byte of HELLO_MAGIC) encoding.writeUint8(encoder, byte)
  encoding.writeUint8(encoder, CHUNKING_VERSION)
  encoding.writeVarUint(encoder, maxMessageBytes)
  return encoding.toUint8Array(encoder)
}

/** Decodes a peer's first frame. Anything but a v1 hello means the peer does not speak it. */
export function decodeHello(bytes: Uint8Array): Decoded<Hello> {
  const notChunking = 'peer-does-not-speak-meshpad-chunking-v1'
  if (bytes.byteLength > MAX_FRAME_BYTES) {
    return reject(notChunking, `first frame is ${bytes.byteLength} bytes, not a hello`)
  }
  if (bytes.byteLength < HELLO_MAGIC.length + 1) {
    return reject(notChunking, `first frame is ${bytes.byteLength} bytes, too short for a hello`)
  }
  for (let i = 0; i < HELLO_MAGIC.length; i++) {
    if (bytes[i] !== HELLO_MAGIC[i]) {
      return reject(notChunking, 'first frame does not start with the MPCK hello magic')
    }
  }
  const version = bytes[HELLO_MAGIC.length] ?? -1
  if (version !== CHUNKING_VERSION) {
    return reject(
      notChunking,
      `peer speaks chunking version ${version}, this side speaks ${CHUNKING_VERSION}`,
    )
  }
  const decoder = decoding.createDecoder(bytes)
  decoder.pos = HELLO_MAGIC.length + 1
  let maxMessageBytes: number
  try {
    maxMessageBytes = decoding.readVarUint(decoder)
  } catch {
    return reject('malformed-frame', 'hello is truncated or its maxMessageBytes is out of range')
  }
  if (decoder.pos !== bytes.byteLength) {
    return reject('malformed-frame', 'hello has trailing bytes')
  }
  return { ok: true, value: { version, maxMessageBytes } }
}

/** Header bytes for a data frame; the caller appends the payload (see encodeDataFrame). */
export function encodeDataHeader(header: DataFrameHeader): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeUint8(encoder, CHUNKING_VERSION)
  encoding.writeUint8(encoder, header.kind === 'binary' ? FLAG_BINARY : 0)
  encoding.writeVarUint(encoder, header.messageId)
  encoding.writeVarUint(encoder, header.index)
  encoding.writeVarUint(encoder, header.count)
  if (header.index === 0) {
    if (header.byteLength === null) throw new Error('the first chunk must carry byteLength')
    encoding.writeVarUint(encoder, header.byteLength)
  }
  return encoding.toUint8Array(encoder)
}

/** One exactly-sized frame: header then payload (the payload is copied once). */
export function encodeDataFrame(header: DataFrameHeader, payload: Uint8Array): Uint8Array {
  const head = encodeDataHeader(header)
  const frame = new Uint8Array(head.byteLength + payload.byteLength)
  frame.set(head, 0)
  frame.set(payload, head.byteLength)
  return frame
}

/** Decodes a data frame's header and checks what a single frame can show on its own. */
export function decodeDataFrame(bytes: Uint8Array): Decoded<DataFrame> {
  if (bytes.byteLength > MAX_FRAME_BYTES) {
    return reject('frame-too-large', `frame is ${bytes.byteLength} bytes, limit ${MAX_FRAME_BYTES}`)
  }
  if (bytes.byteLength < 2) {
    return reject('malformed-frame', `frame is ${bytes.byteLength} bytes, too short for a header`)
  }
  const decoder = decoding.createDecoder(bytes)
  const version = decoding.readUint8(decoder)
  if (version !== CHUNKING_VERSION) {
    return reject(
      'unsupported-version',
      `data frame version ${version}, expected ${CHUNKING_VERSION}`,
    )
  }
  const flags = decoding.readUint8(decoder)
  if ((flags & ~FLAG_BINARY) !== 0) {
    return reject('malformed-frame', `unknown flags 0x${flags.toString(16)}`)
  }
  let messageId: number
  let index: number
  let count: number
  let byteLength: number | null = null
  try {
    messageId = decoding.readVarUint(decoder)
    index = decoding.readVarUint(decoder)
    count = decoding.readVarUint(decoder)
    if (index === 0) byteLength = decoding.readVarUint(decoder)
  } catch {
    return reject('malformed-frame', 'data frame header is truncated or a number is out of range')
  }
  if (count === 0) return reject('malformed-frame', `message ${messageId} declares 0 chunks`)
  if (index >= count) {
    return reject(
      'chunk-index-out-of-range',
      `message ${messageId}: chunk index ${index} is not below its count ${count}`,
    )
  }
  return {
    ok: true,
    value: {
      messageId,
      index,
      count,
      kind: (flags & FLAG_BINARY) !== 0 ? 'binary' : 'string',
      byteLength,
      payload: bytes.subarray(decoder.pos),
    },
  }
}
