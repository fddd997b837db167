import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { randomBytes } from '@noble/hashes/utils.js'
import {
  assembleEntry,
  encodeHeader,
  entryBody,
  NONCE_BYTES,
  parseEntry,
  signingInput,
  type EntryHeader,
} from '../../protocol/entry'
import type { DocKeys, ReadKeys } from '../../share/keys'
import { BAD_SIGNATURE, decryptEntry, type OpenResult } from '../always-on/crypto'
import type { AsyncEd25519 } from './ed25519'

// The same sealed entry an always-on peer keeps (rules ENTRY-1..4), made and checked with an
// asynchronous Ed25519 so that the gate never blocks typing on a signature. One format for every
// path means an entry can be relayed by anyone, peer or always-on peer, and stays provable.

export async function sealEntryAsync(
  engine: AsyncEd25519,
  keys: DocKeys,
  header: EntryHeader,
  payload: Uint8Array,
): Promise<Uint8Array> {
  const nonce = randomBytes(NONCE_BYTES)
  const ciphertext = xchacha20poly1305(keys.encryptionKey, nonce, encodeHeader(header)).encrypt(
    payload,
  )
  const body = entryBody(header, nonce, ciphertext)
  const signature = await engine.sign(keys.signingKey, signingInput(keys.storeTopic, body))
  return assembleEntry(body, signature)
}

/** Checks the signature first and decrypts only what the document's write key signed. */
export async function openEntryAsync(
  engine: AsyncEd25519,
  keys: ReadKeys,
  bytes: Uint8Array,
  maxBytes: number,
): Promise<OpenResult> {
  const parsed = parseEntry(bytes, maxBytes)
  if (!parsed.ok) return parsed
  const entry = parsed.value
  const valid = await engine.verify(
    entry.signature,
    signingInput(keys.storeTopic, entry.signed),
    keys.verifyKey,
  )
  return valid ? decryptEntry(keys, entry) : BAD_SIGNATURE
}
