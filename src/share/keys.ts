import { ed25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { encodeUtf8 } from 'lib0/string'
import { storeTopicOf, type StoreTopic } from '../protocol/store-topic'
import type { DocId } from './ids'
import type { DocAddress } from './link'

// A document's keys for always-on peers (rules KEY-1..4). Everything is derived one way from the
// link's secret, domain-separated by label and document id:
//
//   secret ──HKDF "write"──> Ed25519 signing seed ──> verify key (public)
//   secret ──HKDF "read"───> read secret ──HKDF "encrypt"──> XChaCha20-Poly1305 key
//   verify key ──SHA-256 "store"──> store topic (what an always-on peer files the document under)
//
// An edit link holds the secret, so it has all of them. A view link (later) holds only the read
// secret and the verify key: it can find, decrypt and verify, never sign. The store topic commits
// to the verify key, so an always-on peer checks writes against a key it can trust without any
// key that reads the document. Links made before keep working: nothing new is put in them.

export { storeTopicOf, type StoreTopic }

export interface ReadKeys {
  readonly docId: DocId
  /** 32 bytes; a view link would carry it. */
  readonly readSecret: Uint8Array
  /** Ed25519 public key (32 bytes) that every entry of this document is signed with. */
  readonly verifyKey: Uint8Array
  /** XChaCha20-Poly1305 key (32 bytes). */
  readonly encryptionKey: Uint8Array
  readonly storeTopic: StoreTopic
}

export interface DocKeys extends ReadKeys {
  /** Ed25519 secret key (32 bytes); only an edit link yields it. */
  readonly signingKey: Uint8Array
}

const LABEL = 'meshpad/v2/'

function salt(docId: DocId): Uint8Array {
  return encodeUtf8(`${LABEL}salt\u0000${docId}`)
}

function expand(ikm: Uint8Array, docId: DocId, label: string): Uint8Array {
  return hkdf(sha256, ikm, salt(docId), encodeUtf8(`${LABEL}${label}`), 32)
}

/** What a holder of the read secret and the verify key can derive (no signing key). */
export function deriveReadKeys(
  docId: DocId,
  readSecret: Uint8Array,
  verifyKey: Uint8Array,
): ReadKeys {
  if (readSecret.length !== 32 || verifyKey.length !== 32) {
    throw new Error('read secret and verify key must be 32 bytes each')
  }
  return {
    docId,
    readSecret,
    verifyKey,
    encryptionKey: expand(readSecret, docId, 'encrypt'),
    storeTopic: storeTopicOf(verifyKey),
  }
}

/** Every key of a document, from its edit link. Deterministic: same link, same keys. */
export function deriveDocKeys(address: DocAddress): DocKeys {
  // The secret as the link spells it, like the signaling derivation (LINK-2): base64url has
  // spare bits in its last character, so two spellings could decode to the same bytes.
  const secret = encodeUtf8(address.secret)
  const signingKey = expand(secret, address.docId, 'write')
  const readSecret = expand(secret, address.docId, 'read')
  const verifyKey = ed25519.getPublicKey(signingKey)
  return { ...deriveReadKeys(address.docId, readSecret, verifyKey), signingKey }
}
