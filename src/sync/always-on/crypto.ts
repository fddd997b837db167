import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { randomBytes } from '@noble/hashes/utils.js'
import {
  encodeHeader,
  entryId,
  NONCE_BYTES,
  parseEntry,
  signEntry,
  verifyEntry,
  type Entry,
  type EntryHeader,
  type EntryKind,
  type EntryRejection,
} from '../../protocol/entry'
import type { DocKeys, ReadKeys } from '../../share/keys'

// Sealing and opening entries in the browser (rules ENTRY-1..4): encrypt with the document's
// read key (XChaCha20-Poly1305, a random 24-byte nonce per entry, the header as associated
// data), then sign with its write key. Opening checks the signature before decrypting: an
// always-on peer, or anyone between, cannot slip in an entry the link's holders did not write.

export interface OpenedEntry {
  readonly kind: EntryKind
  readonly parent: Uint8Array
  readonly covers: number
  readonly payload: Uint8Array
  readonly id: Uint8Array
  readonly size: number
}

export type OpenRejection = EntryRejection | 'undecryptable'

export type OpenResult =
  | { readonly ok: true; readonly value: OpenedEntry }
  | { readonly ok: false; readonly reason: OpenRejection; readonly detail: string }

export function sealEntry(keys: DocKeys, header: EntryHeader, payload: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE_BYTES)
  const ciphertext = xchacha20poly1305(keys.encryptionKey, nonce, encodeHeader(header)).encrypt(
    payload,
  )
  return signEntry(keys.storeTopic, header, nonce, ciphertext, keys.signingKey)
}

export function openEntry(keys: ReadKeys, bytes: Uint8Array, maxBytes: number): OpenResult {
  const parsed = parseEntry(bytes, maxBytes)
  if (!parsed.ok) return parsed
  const entry = parsed.value
  if (!verifyEntry(entry, keys.storeTopic, keys.verifyKey)) return BAD_SIGNATURE
  return decryptEntry(keys, entry)
}

export const BAD_SIGNATURE = {
  ok: false,
  reason: 'bad-signature',
  detail: 'not signed by this document’s key',
} as const

/** Decrypts an entry whose signature was checked (ENTRY-4: never before). */
export function decryptEntry(keys: ReadKeys, entry: Entry): OpenResult {
  let payload: Uint8Array
  try {
    payload = xchacha20poly1305(keys.encryptionKey, entry.nonce, encodeHeader(entry)).decrypt(
      entry.ciphertext,
    )
  } catch {
    return { ok: false, reason: 'undecryptable', detail: 'wrong key or altered ciphertext' }
  }
  // The id is hashed when read: the gate never reads it, and for a whole document it is ~2 MB of
  // SHA-256 in JavaScript (~80 ms).
  let id: Uint8Array | null = null
  return {
    ok: true,
    value: {
      kind: entry.kind,
      parent: entry.parent,
      covers: entry.covers,
      payload,
      get id() {
        id ??= entryId(entry.bytes)
        return id
      },
      size: entry.bytes.length,
    },
  }
}
