import { toBase64UrlEncoded } from 'lib0/buffer'
import { encodeUtf8 } from 'lib0/string'
import { digest } from 'lib0/hash/sha256'
import type { DocAddress } from './link'
import type { Topic } from './ids'

// What the network sees of a document (rules LINK-2, LINK-3). The signaling topic and the
// y-webrtc password are one-way, domain-separated hashes of the document's id and secret:
// the server can route peers of one document together without learning the secret or any
// readable name, and the password (from which y-webrtc derives its AES key) never leaves the
// browser. lib0's SHA-256 is synchronous and works outside secure contexts, unlike WebCrypto.

export interface RoomKeys {
  /** The y-webrtc room name, which is also the signaling topic. */
  readonly topic: Topic
  /** The y-webrtc `password`: encrypts signaling payloads and BroadcastChannel traffic. */
  readonly password: string
}

const TOPIC_LABEL = 'meshpad/v1/topic'
const PASSWORD_LABEL = 'meshpad/v1/password'

function hashLabelled(label: string, address: DocAddress): string {
  return toBase64UrlEncoded(
    digest(encodeUtf8(`${label}\u0000${address.docId}\u0000${address.secret}`)),
  )
}

export function deriveRoomKeys(address: DocAddress): RoomKeys {
  return {
    topic: `mp1.${hashLabelled(TOPIC_LABEL, address)}` as Topic,
    password: hashLabelled(PASSWORD_LABEL, address),
  }
}
