import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'

// The gate's wire messages (rule GATE-2). They travel on the same data channels as y-webrtc's
// and in our own BroadcastChannel; type numbers start at 100 so they can never be mistaken for
// y-webrtc's (0..4), which the gate ignores: y-webrtc replicates only an empty shadow document.
//
//   want     · varuint 100 · u8 ask · state vector   "send me what I lack" (ask: "and say
//                                                      what you have": for a channel to tabs
//                                                      that opened before this one)
//   entries  · varuint 101 · varuint n · n entries   sealed, signed entries (ENTRY-1)
//   presence · varuint 102 · signed presence         (PRESENCE-1)

export type GateMessage =
  | { readonly type: 'want'; readonly ask: boolean; readonly stateVector: Uint8Array }
  | { readonly type: 'entries'; readonly entries: readonly Uint8Array[] }
  | { readonly type: 'presence'; readonly presence: Uint8Array }

const CODES = { want: 100, entries: 101, presence: 102 } as const
/** More entries than this in one message is not something an honest peer sends. */
export const MAX_ENTRIES_PER_MESSAGE = 10_000

export function encodeGateMessage(message: GateMessage): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, CODES[message.type])
  if (message.type === 'want') {
    encoding.writeUint8(encoder, message.ask ? 1 : 0)
    encoding.writeVarUint8Array(encoder, message.stateVector)
  } else if (message.type === 'presence') encoding.writeVarUint8Array(encoder, message.presence)
  else {
    encoding.writeVarUint(encoder, message.entries.length)
    for (const entry of message.entries) encoding.writeVarUint8Array(encoder, entry)
  }
  return encoding.toUint8Array(encoder)
}

export type DecodeResult =
  | { readonly ok: true; readonly message: GateMessage }
  /** Not a gate message at all (y-webrtc's own traffic about the shadow document). */
  | { readonly ok: false; readonly reason: 'not-gate' }
  | { readonly ok: false; readonly reason: 'malformed-gate-message'; readonly detail: string }

export function decodeGateMessage(bytes: Uint8Array): DecodeResult {
  try {
    const decoder = decoding.createDecoder(bytes)
    if (!decoding.hasContent(decoder)) return { ok: false, reason: 'not-gate' }
    const code = decoding.readVarUint(decoder)
    let message: GateMessage
    if (code === CODES.want) {
      const ask = decoding.readUint8(decoder)
      if (ask > 1) return { ok: false, reason: 'malformed-gate-message', detail: 'ask flag' }
      message = { type: 'want', ask: ask === 1, stateVector: decoding.readVarUint8Array(decoder) }
    } else if (code === CODES.presence) {
      message = { type: 'presence', presence: decoding.readVarUint8Array(decoder) }
    } else if (code === CODES.entries) {
      const count = decoding.readVarUint(decoder)
      if (count > MAX_ENTRIES_PER_MESSAGE) {
        return { ok: false, reason: 'malformed-gate-message', detail: `${count} entries` }
      }
      const entries: Uint8Array[] = []
      for (let i = 0; i < count; i += 1) entries.push(decoding.readVarUint8Array(decoder))
      message = { type: 'entries', entries }
    } else {
      return { ok: false, reason: 'not-gate' }
    }
    if (decoding.hasContent(decoder)) {
      return { ok: false, reason: 'malformed-gate-message', detail: 'trailing bytes' }
    }
    return { ok: true, message }
  } catch (error) {
    return {
      ok: false,
      reason: 'malformed-gate-message',
      detail: error instanceof Error ? error.message : 'unreadable',
    }
  }
}
