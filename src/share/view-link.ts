import { fromBase64UrlEncoded, toBase64UrlEncoded } from 'lib0/buffer'
import { deriveReadKeys, type ReadKeys } from './keys'
import type { DocId } from './ids'

// View links (rules VIEW-1, KEY-1): `<origin>/#/v/<docId>/<token>`, the token being the read
// secret and the verify key (32 + 32 bytes, base64url, 86 characters). They are what an edit link
// yields one way: the read secret is an HKDF output of the edit secret and the verify key the
// public half of the signing key derived from it, so nothing in a view link leads back to the
// edit secret or the write key. Like edit links, everything sits in the URL fragment.

export type ViewToken = string & { readonly __brand: 'ViewToken' }

const VIEW_TOKEN_PATTERN = /^[A-Za-z0-9_-]{86}$/

export function isViewToken(value: string): value is ViewToken {
  return VIEW_TOKEN_PATTERN.test(value)
}

export function viewTokenOf(keys: ReadKeys): ViewToken {
  const bytes = new Uint8Array(64)
  bytes.set(keys.readSecret)
  bytes.set(keys.verifyKey, 32)
  return toBase64UrlEncoded(bytes) as ViewToken
}

/** The read keys a view link holds. Throws on a token that is not 64 bytes of base64url. */
export function readKeysOfToken(docId: DocId, token: ViewToken): ReadKeys {
  const bytes = fromBase64UrlEncoded(token)
  if (bytes.length !== 64) throw new Error('a view token holds 64 bytes')
  return deriveReadKeys(docId, bytes.slice(0, 32), bytes.slice(32))
}

/** `#/v/<docId>/<token>` */
export function viewHash(docId: DocId, token: ViewToken): string {
  return `#/v/${docId}/${token}`
}
