import { toBase64UrlEncoded } from 'lib0/buffer'

// Branded identifiers: a DocId is public-ish (it names local storage), a DocSecret is the
// capability to read and write the document and lives only in the URL fragment and this browser.
export type DocId = string & { readonly __brand: 'DocId' }
export type DocSecret = string & { readonly __brand: 'DocSecret' }
export type Topic = string & { readonly __brand: 'Topic' }

/** 16 random bytes: collisions between documents are not a practical concern. */
export const DOC_ID_BYTES = 16
/** 32 random bytes: the secret must resist guessing by anyone who watches the signaling server. */
export const SECRET_BYTES = 32

const DOC_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/

export function isDocId(value: string): value is DocId {
  return DOC_ID_PATTERN.test(value)
}

export function isDocSecret(value: string): value is DocSecret {
  return SECRET_PATTERN.test(value)
}

function randomBase64Url(bytes: number): string {
  const buffer = new Uint8Array(bytes)
  globalThis.crypto.getRandomValues(buffer)
  return toBase64UrlEncoded(buffer)
}

export function newDocId(): DocId {
  return randomBase64Url(DOC_ID_BYTES) as DocId
}

export function newDocSecret(): DocSecret {
  return randomBase64Url(SECRET_BYTES) as DocSecret
}
