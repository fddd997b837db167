import { toBase64UrlEncoded } from 'lib0/buffer'
import { encodeUtf8 } from 'lib0/string'
import { digest } from 'lib0/hash/sha256'
import type { DocAddress } from './link'
import type { Topic } from './ids'
import type { ReadKeys } from './keys'

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

/** base64url(SHA-256(label ‖ 0 ‖ docId ‖ 0 ‖ secret)), the secret as a string. */
function hashLabelled(label: string, docId: string, secret: string): string {
  return toBase64UrlEncoded(digest(encodeUtf8(`${label}\u0000${docId}\u0000${secret}`)))
}

function roomOf(
  version: string,
  labels: readonly [string, string],
  docId: string,
  secret: string,
): RoomKeys {
  return {
    topic: `${version}.${hashLabelled(labels[0], docId, secret)}` as Topic,
    password: hashLabelled(labels[1], docId, secret),
  }
}

export function deriveRoomKeys(address: DocAddress): RoomKeys {
  return roomOf('mp1', [TOPIC_LABEL, PASSWORD_LABEL], address.docId, address.secret)
}

const ROOM_TOPIC_LABEL = 'meshpad/v2/topic'
const ROOM_PASSWORD_LABEL = 'meshpad/v2/password'

/**
 * The room of a document's peers (rules LINK-2, VIEW-2): derived from the read secret, which an
 * edit link and a view link both yield, so editors and readers meet in one room while the
 * signaling server still learns neither secret. `deriveRoomKeys` (from the edit secret) remains
 * the name a local copy is filed under (LINK-7), so copies made before still open.
 */
export function deriveRoomKeysFromRead(keys: ReadKeys): RoomKeys {
  const secret = toBase64UrlEncoded(keys.readSecret)
  return roomOf('mp2', [ROOM_TOPIC_LABEL, ROOM_PASSWORD_LABEL], keys.docId, secret)
}
