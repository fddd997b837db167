import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { encodeUtf8 } from 'lib0/string'
import type { AsyncEd25519 } from './ed25519'

// A signed presence message (rules PRESENCE-1..3). y-protocols' awareness lets anyone set any
// client's state with a higher clock; here a state belongs to a session key, and only that key's
// signature can set or clear it. Layout, version 1:
//
//   u8 version · 32 bytes session key · varuint clock · varuint sentAt (ms since epoch)
//   · varstring state JSON ('' = left) · varbytes editor proof (0 or 64 bytes) · 64 bytes signature
//
// The signature (by the session key) covers `meshpad/v2/presence` ‖ 0 ‖ topic ‖ 0 ‖ the body. The
// editor proof is the document's write key signing `meshpad/v2/editor` ‖ 0 ‖ topic ‖ 0 ‖ session
// key: only an edit link can make one, so "editor" cannot be claimed by a reader, and a proof
// cannot be lifted onto another session key or another document.

export const PRESENCE_VERSION = 1
const KEY_BYTES = 32
const SIGNATURE_BYTES = 64
/** A state larger than this is not a name and a caret. */
export const MAX_PRESENCE_STATE_CHARS = 4_096

export interface PresenceBody {
  readonly sessionKey: Uint8Array
  readonly clock: number
  readonly sentAt: number
  /** null: the session left. */
  readonly state: Record<string, unknown> | null
  /** Empty for a reader. */
  readonly editorProof: Uint8Array
}

export interface SignedPresence extends PresenceBody {
  readonly body: Uint8Array
  readonly signature: Uint8Array
}

function labelled(label: string, topic: string, bytes: Uint8Array): Uint8Array {
  const prefix = encodeUtf8(`meshpad/v2/${label}\u0000${topic}\u0000`)
  const out = new Uint8Array(prefix.length + bytes.length)
  out.set(prefix)
  out.set(bytes, prefix.length)
  return out
}

export function editorProofInput(topic: string, sessionKey: Uint8Array): Uint8Array {
  return labelled('editor', topic, sessionKey)
}

export function presenceSigningInput(topic: string, body: Uint8Array): Uint8Array {
  return labelled('presence', topic, body)
}

export function encodePresenceBody(body: PresenceBody): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeUint8(encoder, PRESENCE_VERSION)
  encoding.writeUint8Array(encoder, body.sessionKey)
  encoding.writeVarUint(encoder, body.clock)
  encoding.writeVarUint(encoder, body.sentAt)
  encoding.writeVarString(encoder, body.state === null ? '' : JSON.stringify(body.state))
  encoding.writeVarUint8Array(encoder, body.editorProof)
  return encoding.toUint8Array(encoder)
}

export async function signPresence(
  engine: AsyncEd25519,
  topic: string,
  sessionSeed: Uint8Array,
  body: PresenceBody,
): Promise<Uint8Array> {
  const bytes = encodePresenceBody(body)
  const signature = await engine.sign(sessionSeed, presenceSigningInput(topic, bytes))
  const out = new Uint8Array(bytes.length + SIGNATURE_BYTES)
  out.set(bytes)
  out.set(signature, bytes.length)
  return out
}

export type PresenceParse =
  | { readonly ok: true; readonly value: SignedPresence }
  | { readonly ok: false; readonly reason: 'malformed-presence'; readonly detail: string }

const malformed = (detail: string): PresenceParse => ({
  ok: false,
  reason: 'malformed-presence',
  detail,
})

/** Structure only; `verifyPresence` says whether the session key signed it. */
export function parsePresence(bytes: Uint8Array): PresenceParse {
  if (bytes.length < 1 + KEY_BYTES + 4 + SIGNATURE_BYTES) return malformed('too short')
  try {
    const decoder = decoding.createDecoder(bytes)
    const version = decoding.readUint8(decoder)
    if (version !== PRESENCE_VERSION) return malformed(`version ${version}`)
    const sessionKey = decoding.readUint8Array(decoder, KEY_BYTES)
    const clock = decoding.readVarUint(decoder)
    const sentAt = decoding.readVarUint(decoder)
    const json = decoding.readVarString(decoder)
    const editorProof = decoding.readVarUint8Array(decoder)
    const bodyLength = decoder.pos
    if (bytes.length - bodyLength !== SIGNATURE_BYTES) return malformed('signature length')
    if (editorProof.length !== 0 && editorProof.length !== SIGNATURE_BYTES) {
      return malformed('editor proof length')
    }
    if (json.length > MAX_PRESENCE_STATE_CHARS) return malformed('state too large')
    let state: Record<string, unknown> | null = null
    if (json !== '') {
      const parsed: unknown = JSON.parse(json)
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        return malformed('state is not an object')
      }
      state = parsed as Record<string, unknown>
    }
    return {
      ok: true,
      value: {
        sessionKey,
        clock,
        sentAt,
        state,
        editorProof,
        body: bytes.subarray(0, bodyLength),
        signature: bytes.subarray(bodyLength),
      },
    }
  } catch (error) {
    return malformed(error instanceof Error ? error.message : 'unreadable')
  }
}

export function verifyPresence(
  engine: AsyncEd25519,
  topic: string,
  presence: SignedPresence,
): Promise<boolean> {
  return engine.verify(
    presence.signature,
    presenceSigningInput(topic, presence.body),
    presence.sessionKey,
  )
}
