import { ed25519 } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2.js'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { encodeUtf8 } from 'lib0/string'

// The signed entry: the unit a browser gives an always-on peer (rules ENTRY-1..4). The peer can
// check who wrote it (the signature, against the document's verify key) and what it builds on
// (the header), never what it says (the ciphertext). Layout, version 1:
//
//   u8 version (1) · u8 kind · 32 bytes parent · varuint covers · 24 bytes nonce
//   · varuint length · ciphertext · 64 bytes Ed25519 signature
//
// The signature covers `meshpad/v2/entry` ‖ 0 ‖ topic ‖ 0 ‖ every byte before it, so an entry
// cannot be moved to another document or have its header changed. The ciphertext's associated
// data is the same header, so a changed header also fails to decrypt. An entry's id is the
// SHA-256 of all its bytes.
//
// A tombstone (rules MOVE-1..6) says the document moved to a new link: signed with the old write
// key, it ends the topic on every always-on peer that stores it. It builds on nothing (its parent
// is zeros) so that it never goes stale: whoever holds the write key may end the topic at any time.

export const ENTRY_VERSION = 1
export const PARENT_BYTES = 32
export const NONCE_BYTES = 24
export const SIGNATURE_BYTES = 64
export const ENTRY_ID_BYTES = 32
/** version, kind, parent, covers (1 byte at least), nonce, length (1 byte at least), signature */
const MIN_ENTRY_BYTES = 1 + 1 + PARENT_BYTES + 1 + NONCE_BYTES + 1 + SIGNATURE_BYTES

export const ENTRY_KINDS = ['update', 'snapshot', 'ephemeral', 'tombstone'] as const
export type EntryKind = (typeof ENTRY_KINDS)[number]
const KIND_CODES: Record<EntryKind, number> = { update: 1, snapshot: 2, ephemeral: 3, tombstone: 4 }

/**
 * Largest tombstone an always-on peer takes (MOVE-2). One holds a timestamp (about 130 bytes); it
 * is exempt from the document size limit, so it must not be a way around it.
 */
export const MAX_TOMBSTONE_BYTES = 512

/** No parent: the document has no snapshot yet. */
export const NO_PARENT = new Uint8Array(PARENT_BYTES)

export interface EntryHeader {
  readonly kind: EntryKind
  /** Id of the snapshot this entry builds on (NO_PARENT when there is none). */
  readonly parent: Uint8Array
  /** Snapshots only: the highest sequence number whose entries the snapshot holds; else 0. */
  readonly covers: number
}

export interface Entry extends EntryHeader {
  readonly nonce: Uint8Array
  readonly ciphertext: Uint8Array
  readonly signature: Uint8Array
  /** Every byte before the signature. */
  readonly signed: Uint8Array
  /** The whole entry as it travels and is stored. */
  readonly bytes: Uint8Array
}

export type EntryRejection =
  | 'malformed-entry'
  | 'unsupported-entry-version'
  | 'unknown-entry-kind'
  | 'entry-too-large'
  | 'bad-signature'

export type ParseResult<T, R extends string> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: R; readonly detail: string }

const fail = <R extends string>(
  reason: R,
  detail: string,
): { ok: false; reason: R; detail: string } => ({
  ok: false,
  reason,
  detail,
})

/** The header bytes: also the ciphertext's associated data. */
export function encodeHeader(header: EntryHeader): Uint8Array {
  if (header.parent.length !== PARENT_BYTES) throw new Error('parent must be 32 bytes')
  const encoder = encoding.createEncoder()
  encoding.writeUint8(encoder, ENTRY_VERSION)
  encoding.writeUint8(encoder, KIND_CODES[header.kind])
  encoding.writeUint8Array(encoder, header.parent)
  encoding.writeVarUint(encoder, header.covers)
  return encoding.toUint8Array(encoder)
}

/** What the signature covers: a domain label and the topic, then every byte before it. */
export function signingInput(topic: string, signed: Uint8Array): Uint8Array {
  const prefix = encodeUtf8(`meshpad/v2/entry\u0000${topic}\u0000`)
  const input = new Uint8Array(prefix.length + signed.length)
  input.set(prefix)
  input.set(signed, prefix.length)
  return input
}

/** The bytes an entry's signature is made over (header, nonce, ciphertext), not yet signed. */
export function entryBody(
  header: EntryHeader,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
): Uint8Array {
  if (nonce.length !== NONCE_BYTES) throw new Error('nonce must be 24 bytes')
  const encoder = encoding.createEncoder()
  encoding.writeUint8Array(encoder, encodeHeader(header))
  encoding.writeUint8Array(encoder, nonce)
  encoding.writeVarUint8Array(encoder, ciphertext)
  return encoding.toUint8Array(encoder)
}

/** The entry as it travels: its body, then the signature over `signingInput(topic, body)`. */
export function assembleEntry(body: Uint8Array, signature: Uint8Array): Uint8Array {
  if (signature.length !== SIGNATURE_BYTES) throw new Error('signature must be 64 bytes')
  const bytes = new Uint8Array(body.length + SIGNATURE_BYTES)
  bytes.set(body)
  bytes.set(signature, body.length)
  return bytes
}

/** Builds and signs an entry around a ciphertext made with `encodeHeader(header)` as its AAD. */
export function signEntry(
  topic: string,
  header: EntryHeader,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  signingKey: Uint8Array,
): Uint8Array {
  const body = entryBody(header, nonce, ciphertext)
  return assembleEntry(body, ed25519.sign(signingInput(topic, body), signingKey))
}

/** Parses an entry's structure. Says nothing about who wrote it: see verifyEntry. */
export function parseEntry(
  bytes: Uint8Array,
  maxBytes: number,
): ParseResult<Entry, EntryRejection> {
  if (bytes.length > maxBytes) {
    return fail('entry-too-large', `${bytes.length} bytes, limit ${maxBytes}`)
  }
  // lib0 reads past the end as undefined rather than throwing: anything shorter than the
  // smallest possible entry is truncated, whatever its first bytes say.
  if (bytes.length < MIN_ENTRY_BYTES) {
    return fail('malformed-entry', `${bytes.length} bytes, shorter than any entry`)
  }
  try {
    const decoder = decoding.createDecoder(bytes)
    const version = decoding.readUint8(decoder)
    if (version !== ENTRY_VERSION) {
      return fail('unsupported-entry-version', `version ${version}, expected ${ENTRY_VERSION}`)
    }
    const code = decoding.readUint8(decoder)
    const kind = ENTRY_KINDS.find((name) => KIND_CODES[name] === code)
    if (kind === undefined) return fail('unknown-entry-kind', `kind ${code}`)
    const parent = decoding.readUint8Array(decoder, PARENT_BYTES)
    const covers = decoding.readVarUint(decoder)
    if (kind !== 'snapshot' && covers !== 0) {
      return fail('malformed-entry', 'only snapshots cover earlier entries')
    }
    const nonce = decoding.readUint8Array(decoder, NONCE_BYTES)
    const ciphertext = decoding.readVarUint8Array(decoder)
    const signedLength = decoder.pos
    if (bytes.length - signedLength !== SIGNATURE_BYTES) {
      return fail('malformed-entry', 'the signature is missing, short, or followed by garbage')
    }
    // lib0 reads past the end as zeros in some paths; a short entry must not pass as one.
    if (parent.length !== PARENT_BYTES || nonce.length !== NONCE_BYTES) {
      return fail('malformed-entry', 'truncated header')
    }
    if (kind === 'tombstone' && !sameBytes(parent, NO_PARENT)) {
      return fail('malformed-entry', 'a tombstone builds on nothing (its parent is zeros)')
    }
    return {
      ok: true,
      value: {
        kind,
        parent,
        covers,
        nonce,
        ciphertext,
        signed: bytes.subarray(0, signedLength),
        signature: bytes.subarray(signedLength),
        bytes,
      },
    }
  } catch (error) {
    return fail('malformed-entry', error instanceof Error ? error.message : 'unreadable')
  }
}

/** An Ed25519 verification: signature, message, public key. */
export type Ed25519Verify = (signature: Uint8Array, message: Uint8Array, key: Uint8Array) => boolean

const nobleVerify: Ed25519Verify = (signature, message, key) =>
  ed25519.verify(signature, message, key)

/**
 * True when the entry was signed for this topic by the holder of the verify key's secret. The
 * browser uses noble's pure-JS Ed25519; the server passes Node's native one (about 13x faster).
 */
export function verifyEntry(
  entry: Entry,
  topic: string,
  verifyKey: Uint8Array,
  verify: Ed25519Verify = nobleVerify,
): boolean {
  try {
    return verify(entry.signature, signingInput(topic, entry.signed), verifyKey)
  } catch {
    return false
  }
}

export function entryId(bytes: Uint8Array): Uint8Array {
  return sha256(bytes)
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false
  return true
}
