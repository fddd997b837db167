// Presence as an attacker would try to forge it (docs/SPEC.md PRESENCE, THREAT-10): y-protocols'
// awareness lets any peer set any client's state with a higher clock; through the gate a state
// belongs to a session key, and the role shown comes from the write key's proof.
import { ed25519 } from '@noble/curves/ed25519.js'
import * as encoding from 'lib0/encoding'
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness'
import * as Y from 'yjs'
import { afterEach, describe, expect, it } from 'vitest'
import { deriveDocKeys, deriveReadKeys } from '../../../src/share/keys'
import { newDocAddress } from '../../../src/share/link'
import { ed25519Auto } from '../../../src/sync/gate/ed25519'
import { decodeGateMessage, encodeGateMessage } from '../../../src/sync/gate/messages'
import { parsePresence, signPresence } from '../../../src/sync/gate/presence-codec'
import { connect, destroyAll, makePeer, settle, WAIT, type NetPeer } from './gate-net'

const peers: NetPeer[] = []
afterEach(() => destroyAll(...peers.splice(0)))

function setUp() {
  const editorKeys = deriveDocKeys(newDocAddress())
  const readerKeys = deriveReadKeys(editorKeys.docId, editorKeys.readSecret, editorKeys.verifyKey)
  const a = makePeer('Ada', editorKeys)
  const b = makePeer('Bea', editorKeys)
  const x = makePeer('Xavier', readerKeys)
  peers.push(a, b, x)
  // A's messages as they cross the wire, for replays.
  const fromA: Uint8Array[] = []
  connect(a, b)
  connect(a, x)
  connect(x, b)
  const link = a.links.get('Xavier')
  if (link) {
    const send = link.send.bind(link)
    Object.assign(link, {
      send: (bytes: Uint8Array) => {
        if (bytes[0] === 102) fromA.push(bytes)
        send(bytes)
      },
    })
  }
  return { editorKeys, readerKeys, a, b, x, fromA }
}

/** Remote states as B shows them: name -> role. */
function shown(peer: NetPeer): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [id, state] of peer.awareness.getStates()) {
    if (id === peer.awareness.clientID) continue
    const { user, role } = state as { user?: { name?: string }; role?: unknown }
    out[user?.name ?? '?'] = role
  }
  return out
}

function presenceOf(bytes: Uint8Array): Uint8Array {
  const decoded = decodeGateMessage(bytes)
  if (!decoded.ok || decoded.message.type !== 'presence') throw new Error('not a presence message')
  return decoded.message.presence
}

describe('presence that cannot be forged', () => {
  it('[PRESENCE-1][PRESENCE-3] each state is shown with the role its proof allows', async () => {
    const { b } = setUp()
    await expect.poll(() => shown(b), WAIT).toEqual({ Ada: 'editor', Xavier: 'viewer' })
  })

  it('[PRESENCE-2][THREAT-10] a reader cannot set, replace or clear another’s state, nor claim to edit', async () => {
    const { b, x, a, editorKeys, fromA } = setUp()
    await expect.poll(() => shown(b), WAIT).toEqual({ Ada: 'editor', Xavier: 'viewer' })
    a.awareness.setLocalStateField('user', { name: 'Ada L.', color: '#1971c2' })
    await expect.poll(() => shown(b), WAIT).toEqual({ 'Ada L.': 'editor', Xavier: 'viewer' })
    const toB = x.links.get('Bea')
    const send = (presence: Uint8Array) =>
      toB?.send(encodeGateMessage({ type: 'presence', presence }))

    // 1. A's earlier message replayed: older clock, ignored.
    const first = parsePresence(presenceOf(fromA[0] as Uint8Array))
    expect(first.ok).toBe(true)
    if (first.ok) send(Uint8Array.from([...first.value.body, ...first.value.signature]))

    // 2. A state under A's session key, signed by the attacker: refused.
    const mySeed = ed25519.utils.randomSecretKey()
    const latest = parsePresence(presenceOf(fromA.at(-1) as Uint8Array))
    if (!latest.ok) throw new Error('A’s presence does not parse')
    const forgedBody = {
      sessionKey: latest.value.sessionKey,
      clock: latest.value.clock + 100,
      sentAt: Date.now(),
      state: { user: { name: 'Ada (hacked)', color: '#000000' } },
      editorProof: latest.value.editorProof,
    }
    send(await signPresence(ed25519Auto, editorKeys.storeTopic, mySeed, forgedBody))
    // 3. Clearing A: an empty state under A's key, attacker-signed.
    send(
      await signPresence(ed25519Auto, editorKeys.storeTopic, mySeed, {
        ...forgedBody,
        state: null,
      }),
    )
    // 4. Claiming to edit: its own key, an editor proof lifted from A, and "role" in the state.
    const myKey = ed25519.getPublicKey(mySeed)
    send(
      await signPresence(ed25519Auto, editorKeys.storeTopic, mySeed, {
        sessionKey: myKey,
        clock: 1,
        sentAt: Date.now(),
        state: { user: { name: 'Mallory', color: '#000000' }, role: 'editor' },
        editorProof: latest.value.editorProof,
      }),
    )
    // 5. y-protocols awareness for A's client id, as y-webrtc would carry it.
    const fakeDoc = new Y.Doc()
    fakeDoc.clientID = a.awareness.clientID
    const fake = new Awareness(fakeDoc)
    fake.setLocalStateField('user', { name: 'Ada (awareness)', color: '#000000' })
    const raw = encoding.createEncoder()
    encoding.writeVarUint(raw, 1)
    encoding.writeVarUint8Array(raw, encodeAwarenessUpdate(fake, [fake.clientID]))
    toB?.send(encoding.toUint8Array(raw))
    fake.destroy()
    await settle()
    expect(shown(b)).toEqual({ 'Ada L.': 'editor', Xavier: 'viewer', Mallory: 'viewer' })
    expect(b.gate.stats.rejectedPresence).toBe(2)
  })

  it('[PRESENCE-2] presence older than a minute is a replay and is not shown', async () => {
    const { editorKeys, b, x } = setUp()
    const seed = ed25519.utils.randomSecretKey()
    const stale = await signPresence(ed25519Auto, editorKeys.storeTopic, seed, {
      sessionKey: ed25519.getPublicKey(seed),
      clock: 1,
      sentAt: Date.now() - 5 * 60_000,
      state: { user: { name: 'Ghost', color: '#000000' } },
      editorProof: new Uint8Array(0),
    })
    x.links.get('Bea')?.send(encodeGateMessage({ type: 'presence', presence: stale }))
    await settle()
    expect(Object.keys(shown(b))).not.toContain('Ghost')
  })

  it('[PRESENCE-1] leaving takes the state away at once; coming back restores it', async () => {
    const { a, b } = setUp()
    await expect.poll(() => Object.keys(shown(b)), WAIT).toContain('Ada')
    a.gate.presence.leave()
    await expect.poll(() => Object.keys(shown(b)), WAIT).not.toContain('Ada')
    a.gate.presence.announce()
    await expect.poll(() => Object.keys(shown(b)), WAIT).toContain('Ada')
  })
})
