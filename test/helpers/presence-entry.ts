import { ed25519 } from '@noble/curves/ed25519.js'
import { NO_PARENT } from '../../src/protocol/entry'
import type { DocKeys } from '../../src/share/keys'
import { sealEntry } from '../../src/sync/always-on/crypto'
import { encodePayload } from '../../src/sync/always-on/payload'
import { ed25519Auto } from '../../src/sync/gate/ed25519'
import { editorProofInput, signPresence } from '../../src/sync/gate/presence-codec'

/**
 * A sealed presence entry naming `name`, as an editor's browser sends it through an always-on
 * peer (RELAY-2, PRESENCE-1): a signed presence message of a fresh session, with the write key's
 * editor proof, inside an ephemeral entry.
 */
export async function presenceEntry(keys: DocKeys, name: string): Promise<Uint8Array> {
  const seed = ed25519.utils.randomSecretKey()
  const sessionKey = ed25519.getPublicKey(seed)
  const editorProof = await ed25519Auto.sign(
    keys.signingKey,
    editorProofInput(keys.storeTopic, sessionKey),
  )
  const sentAt = Date.now()
  const presence = await signPresence(ed25519Auto, keys.storeTopic, seed, {
    sessionKey,
    clock: 1,
    sentAt,
    state: { user: { name } },
    editorProof,
  })
  return sealEntry(
    keys,
    { kind: 'ephemeral', parent: NO_PARENT, covers: 0 },
    encodePayload({ type: 'presence', sentAt, presence }),
  )
}
