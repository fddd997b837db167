import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import type { ParseResult } from './entry'

// The wire protocol between a browser and an always-on peer (rules STORE-1..12), on the
// WebSocket at /store. Binary frames; every frame starts with the protocol version and a type.
// One connection serves one document (its store topic). The peer stores and forwards signed,
// encrypted entries (entry.ts) it cannot read.
//
// Client -> peer: hello (topic, verify key, what the client already has), put (an entry).
// Peer -> client: welcome (what the client lacks), ack / reject (of a put, by request id),
// entry (a stored entry someone else put, live), ephemeral (a relayed presence entry).
//
// Versioning: a peer accepts the versions in [MIN_STORE_PROTOCOL, STORE_PROTOCOL_VERSION]. A
// client speaking another one is closed with 4426 `unsupported-version`, which the app shows as
// "reload to update"; it is never sent frames it could misread.

export const STORE_PROTOCOL_VERSION = 1
export const MIN_STORE_PROTOCOL = 1
export const STORE_PATH = '/store'

export interface HelloMessage {
  readonly type: 'hello'
  readonly topic: string
  readonly verifyKey: Uint8Array
  /** Id of the snapshot the client already holds (empty when none). */
  readonly haveSnapshot: Uint8Array
  /** The client holds every entry up to this sequence number under that snapshot. */
  readonly since: number
}
export interface PutMessage {
  readonly type: 'put'
  readonly requestId: number
  readonly entry: Uint8Array
}
export type ClientMessage = HelloMessage | PutMessage

export interface SeqEntry {
  readonly seq: number
  readonly entry: Uint8Array
}
export interface WelcomeMessage {
  readonly type: 'welcome'
  /** The highest sequence number stored for the document (0 when empty). */
  readonly head: number
  /** The current snapshot, unless the client said it holds it (then seq 0, empty entry). */
  readonly snapshot: SeqEntry | null
  /** Stored updates the client lacks, in sequence order. */
  readonly updates: readonly SeqEntry[]
}
export interface AckMessage {
  readonly type: 'ack'
  readonly requestId: number
  /** The entry's sequence number (0 for ephemeral entries, which are not stored). */
  readonly seq: number
}
export const PUT_REJECTIONS = [
  'malformed-entry',
  'unsupported-entry-version',
  'unknown-entry-kind',
  'entry-too-large',
  'bad-signature',
  'stale-parent',
  'covers-ahead',
  'document-full',
  'rate-limited',
  'storage-error',
  // The document moved to a new link (a tombstone is stored): nothing more is taken (MOVE-2).
  'moved',
] as const
export type PutRejection = (typeof PUT_REJECTIONS)[number]
export interface RejectMessage {
  readonly type: 'reject'
  readonly requestId: number
  readonly reason: PutRejection
  readonly detail: string
}
export interface EntryMessage {
  readonly type: 'entry'
  readonly seq: number
  readonly entry: Uint8Array
}
export interface EphemeralMessage {
  readonly type: 'ephemeral'
  readonly entry: Uint8Array
}
export type ServerMessage =
  WelcomeMessage | AckMessage | RejectMessage | EntryMessage | EphemeralMessage

const CLIENT_TYPES = { hello: 1, put: 2 } as const
const SERVER_TYPES = { welcome: 11, ack: 12, reject: 13, entry: 14, ephemeral: 15 } as const

function start(type: number): encoding.Encoder {
  const encoder = encoding.createEncoder()
  encoding.writeUint8(encoder, STORE_PROTOCOL_VERSION)
  encoding.writeUint8(encoder, type)
  return encoder
}

function writeSeqEntry(encoder: encoding.Encoder, item: SeqEntry): void {
  encoding.writeVarUint(encoder, item.seq)
  encoding.writeVarUint8Array(encoder, item.entry)
}

export function encodeClientMessage(message: ClientMessage): Uint8Array {
  const encoder = start(CLIENT_TYPES[message.type])
  if (message.type === 'hello') {
    encoding.writeVarString(encoder, message.topic)
    encoding.writeVarUint8Array(encoder, message.verifyKey)
    encoding.writeVarUint8Array(encoder, message.haveSnapshot)
    encoding.writeVarUint(encoder, message.since)
  } else {
    encoding.writeVarUint(encoder, message.requestId)
    encoding.writeVarUint8Array(encoder, message.entry)
  }
  return encoding.toUint8Array(encoder)
}

export function encodeServerMessage(message: ServerMessage): Uint8Array {
  const encoder = start(SERVER_TYPES[message.type])
  switch (message.type) {
    case 'welcome':
      encoding.writeVarUint(encoder, message.head)
      encoding.writeUint8(encoder, message.snapshot ? 1 : 0)
      if (message.snapshot) writeSeqEntry(encoder, message.snapshot)
      encoding.writeVarUint(encoder, message.updates.length)
      for (const item of message.updates) writeSeqEntry(encoder, item)
      break
    case 'ack':
      encoding.writeVarUint(encoder, message.requestId)
      encoding.writeVarUint(encoder, message.seq)
      break
    case 'reject':
      encoding.writeVarUint(encoder, message.requestId)
      encoding.writeVarString(encoder, message.reason)
      encoding.writeVarString(encoder, message.detail)
      break
    case 'entry':
      writeSeqEntry(encoder, message)
      break
    case 'ephemeral':
      encoding.writeVarUint8Array(encoder, message.entry)
      break
  }
  return encoding.toUint8Array(encoder)
}

export type FrameRejection = 'unsupported-version' | 'malformed-frame'

function readHeader(
  decoder: decoding.Decoder,
): { ok: true; type: number } | { ok: false; reason: FrameRejection; detail: string } {
  const version = decoding.readUint8(decoder)
  if (version < MIN_STORE_PROTOCOL || version > STORE_PROTOCOL_VERSION) {
    return {
      ok: false,
      reason: 'unsupported-version',
      detail: `version ${version}; this peer speaks ${MIN_STORE_PROTOCOL}..${STORE_PROTOCOL_VERSION}`,
    }
  }
  return { ok: true, type: decoding.readUint8(decoder) }
}

function done(decoder: decoding.Decoder): void {
  if (decoding.hasContent(decoder)) throw new Error('trailing bytes')
}

function guard<T>(
  bytes: Uint8Array,
  read: (decoder: decoding.Decoder) => ParseResult<T, FrameRejection>,
): ParseResult<T, FrameRejection> {
  try {
    if (bytes.length < 2) return { ok: false, reason: 'malformed-frame', detail: 'too short' }
    return read(decoding.createDecoder(bytes))
  } catch (error) {
    return {
      ok: false,
      reason: 'malformed-frame',
      detail: error instanceof Error ? error.message : 'unreadable',
    }
  }
}

export function decodeClientMessage(bytes: Uint8Array): ParseResult<ClientMessage, FrameRejection> {
  return guard(bytes, (decoder) => {
    const header = readHeader(decoder)
    if (!header.ok) return header
    let message: ClientMessage
    if (header.type === CLIENT_TYPES.hello) {
      message = {
        type: 'hello',
        topic: decoding.readVarString(decoder),
        verifyKey: decoding.readVarUint8Array(decoder),
        haveSnapshot: decoding.readVarUint8Array(decoder),
        since: decoding.readVarUint(decoder),
      }
    } else if (header.type === CLIENT_TYPES.put) {
      message = {
        type: 'put',
        requestId: decoding.readVarUint(decoder),
        entry: decoding.readVarUint8Array(decoder),
      }
    } else {
      return { ok: false, reason: 'malformed-frame', detail: `unknown type ${header.type}` }
    }
    done(decoder)
    return { ok: true, value: message }
  })
}

function readSeqEntry(decoder: decoding.Decoder): SeqEntry {
  return { seq: decoding.readVarUint(decoder), entry: decoding.readVarUint8Array(decoder) }
}

export function decodeServerMessage(bytes: Uint8Array): ParseResult<ServerMessage, FrameRejection> {
  return guard(bytes, (decoder) => {
    const header = readHeader(decoder)
    if (!header.ok) return header
    let message: ServerMessage
    switch (header.type) {
      case SERVER_TYPES.welcome: {
        const head = decoding.readVarUint(decoder)
        const snapshot = decoding.readUint8(decoder) === 1 ? readSeqEntry(decoder) : null
        const count = decoding.readVarUint(decoder)
        if (count > bytes.length) throw new Error('update count exceeds frame')
        const updates: SeqEntry[] = []
        for (let i = 0; i < count; i += 1) updates.push(readSeqEntry(decoder))
        message = { type: 'welcome', head, snapshot, updates }
        break
      }
      case SERVER_TYPES.ack:
        message = {
          type: 'ack',
          requestId: decoding.readVarUint(decoder),
          seq: decoding.readVarUint(decoder),
        }
        break
      case SERVER_TYPES.reject: {
        const requestId = decoding.readVarUint(decoder)
        const reason = decoding.readVarString(decoder)
        const detail = decoding.readVarString(decoder)
        const known = PUT_REJECTIONS.find((name) => name === reason)
        if (known === undefined) throw new Error(`unknown rejection ${reason}`)
        message = { type: 'reject', requestId, reason: known, detail }
        break
      }
      case SERVER_TYPES.entry:
        message = { type: 'entry', ...readSeqEntry(decoder) }
        break
      case SERVER_TYPES.ephemeral:
        message = { type: 'ephemeral', entry: decoding.readVarUint8Array(decoder) }
        break
      default:
        return { ok: false, reason: 'malformed-frame', detail: `unknown type ${header.type}` }
    }
    done(decoder)
    return { ok: true, value: message }
  })
}

/** Why an always-on peer closes a /store connection: one closed set, code and reason text. */
export const STORE_CLOSE_CODES = {
  'going-away': 1001,
  'invalid-utf8': 1007,
  'too-large': 1009,
  'internal-error': 1011,
  'bad-frame': 4400,
  'bad-topic': 4403,
  'idle-timeout': 4408,
  'unsupported-version': 4426,
  'slow-consumer': 4509,
  'too-many-connections': 4503,
} as const
export type StoreCloseReason = keyof typeof STORE_CLOSE_CODES

export function storeCloseReasonOf(code: number): StoreCloseReason | undefined {
  return (Object.keys(STORE_CLOSE_CODES) as StoreCloseReason[]).find(
    (reason) => STORE_CLOSE_CODES[reason] === code,
  )
}
