import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'

// What is inside an entry's ciphertext (only link holders ever see it): one byte naming the
// content, then the content. Unknown kinds are refused, never guessed at, so a later release can
// add kinds without an older one misreading them.
//
// `presence` is a signed presence message (PRESENCE-1, RELAY-2) with the time it was sent; the
// earlier `awareness` (a y-protocols awareness update, which anyone could fill with another
// client's state) still parses but is no longer applied by anyone.
//
// `update-v1-deflate` is a large Yjs update compressed (GATE-7): its size once inflated, then
// the raw deflate stream. Inflating is the reader's (src/sync/gate/deflate.ts), bounded by that
// size.
//
// `moved` is a tombstone's content (MOVE-1): when the move happened and nothing else. Whoever
// holds the old link can read it, and the old link is what leaked, so it names no new link.

export type Payload =
  | { readonly type: 'update-v1'; readonly update: Uint8Array }
  | { readonly type: 'update-v1-deflate'; readonly size: number; readonly deflated: Uint8Array }
  | { readonly type: 'state-v2'; readonly update: Uint8Array }
  | { readonly type: 'awareness'; readonly sentAt: number; readonly update: Uint8Array }
  | { readonly type: 'moved'; readonly movedAt: number }
  | { readonly type: 'presence'; readonly sentAt: number; readonly presence: Uint8Array }

const CODES = {
  'update-v1': 1,
  'state-v2': 2,
  awareness: 3,
  moved: 4,
  presence: 5,
  'update-v1-deflate': 6,
} as const

export function encodePayload(payload: Payload): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeUint8(encoder, CODES[payload.type])
  if (payload.type === 'moved') {
    encoding.writeVarUint(encoder, payload.movedAt)
    return encoding.toUint8Array(encoder)
  }
  if (payload.type === 'update-v1-deflate') {
    encoding.writeVarUint(encoder, payload.size)
    encoding.writeVarUint8Array(encoder, payload.deflated)
    return encoding.toUint8Array(encoder)
  }
  if (payload.type === 'presence') {
    encoding.writeVarUint(encoder, payload.sentAt)
    encoding.writeVarUint8Array(encoder, payload.presence)
    return encoding.toUint8Array(encoder)
  }
  if (payload.type === 'awareness') encoding.writeVarUint(encoder, payload.sentAt)
  encoding.writeVarUint8Array(encoder, payload.update)
  return encoding.toUint8Array(encoder)
}

export function decodePayload(bytes: Uint8Array): Payload | null {
  try {
    const decoder = decoding.createDecoder(bytes)
    const code = decoding.readUint8(decoder)
    let payload: Payload
    if (code === CODES['update-v1']) {
      payload = { type: 'update-v1', update: decoding.readVarUint8Array(decoder) }
    } else if (code === CODES['update-v1-deflate']) {
      const size = decoding.readVarUint(decoder)
      payload = { type: 'update-v1-deflate', size, deflated: decoding.readVarUint8Array(decoder) }
    } else if (code === CODES['state-v2']) {
      payload = { type: 'state-v2', update: decoding.readVarUint8Array(decoder) }
    } else if (code === CODES.awareness) {
      const sentAt = decoding.readVarUint(decoder)
      payload = { type: 'awareness', sentAt, update: decoding.readVarUint8Array(decoder) }
    } else if (code === CODES.presence) {
      const sentAt = decoding.readVarUint(decoder)
      payload = { type: 'presence', sentAt, presence: decoding.readVarUint8Array(decoder) }
    } else if (code === CODES.moved) {
      payload = { type: 'moved', movedAt: decoding.readVarUint(decoder) }
    } else {
      return null
    }
    return decoding.hasContent(decoder) ? null : payload
  } catch {
    return null
  }
}
