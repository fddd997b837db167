import { sha256 } from '@noble/hashes/sha2.js'
import { toBase64UrlEncoded } from 'lib0/buffer'
import { encodeUtf8 } from 'lib0/string'

// The name an always-on peer files a document under (rule KEY-3): `mp2.` + base64url of
// SHA-256(`meshpad/v2/store` ‖ 0 ‖ verify key). It commits to the document's verify key, so the
// peer can check that a browser's hello names the key that topic belongs to, and learns nothing
// it could read the document with.

export type StoreTopic = string & { readonly __brand: 'StoreTopic' }

export function storeTopicOf(verifyKey: Uint8Array): StoreTopic {
  const label = encodeUtf8('meshpad/v2/store\u0000')
  const input = new Uint8Array(label.length + verifyKey.length)
  input.set(label)
  input.set(verifyKey, label.length)
  return `mp2.${toBase64UrlEncoded(sha256(input))}` as StoreTopic
}
