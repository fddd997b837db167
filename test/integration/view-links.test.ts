// View links between real Node peers (the app's WebrtcAdapter and gate over @roamhq/wrtc, the real
// server on a real port): a modified reader sends what y-webrtc would have applied (unsigned sync
// step 2 and updates, awareness for a client of its choosing) and entries signed with a key of
// its own. Editors, readers and newcomers apply none of it; genuine edits still reach everyone,
// also through a reader in a chain (docs/SPEC.md GATE, PRESENCE, THREAT-8..10).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { deriveDocKeys } from '../../src/share/keys'
import { documentHash, newDocAddress } from '../../src/share/link'
import { viewHash, viewTokenOf } from '../../src/share/view-link'
import {
  killAllMeshpadNodePeers,
  startMeshpadNodePeer,
  type MeshpadNodePeer,
} from '../helpers/meshpad-node-peer'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'

let server: ServerProcess | undefined
const peers: MeshpadNodePeer[] = []
const WAIT = { timeout: 30_000, interval: 100 }

beforeAll(async () => {
  server = await startServerProcess()
}, 60_000)
afterEach(async () => {
  for (const peer of peers.splice(0)) await peer.destroy().catch(() => peer.kill())
})
afterAll(async () => {
  await killAllMeshpadNodePeers()
  await server?.stop()
})

function links(): { edit: string; view: string } {
  const address = newDocAddress()
  const keys = deriveDocKeys(address)
  return { edit: documentHash(address), view: viewHash(address.docId, viewTokenOf(keys)) }
}

async function start(name: string, link: string, maxConns?: number): Promise<MeshpadNodePeer> {
  if (!server) throw new Error('no server')
  const peer = await startMeshpadNodePeer({
    name,
    link,
    signalingUrls: [server.signalUrl],
    ...(maxConns === undefined ? {} : { maxConns }),
  })
  peers.push(peer)
  return peer
}

async function connected(peer: MeshpadNodePeer, count: number): Promise<void> {
  await expect.poll(async () => (await peer.status()).peers, WAIT).toBeGreaterThanOrEqual(count)
}

describe('view links enforced by peers over real WebRTC', () => {
  it('[THREAT-9][GATE-1][GATE-2][THREAT-10] crafted sync, updates, awareness and self-signed entries from a reader change nothing for editors, readers or newcomers', async () => {
    const { edit, view } = links()
    const editor = await start('editor', edit)
    await editor.appendParagraph('genuine')
    const reader = await start('reader', view)
    const attacker = await start('attacker', view)
    await connected(attacker, 2)
    await connected(reader, 2)
    await expect.poll(() => attacker.getText(), WAIT).toBe('genuine')

    for (const attack of ['forged-entry', 'sync-step2', 'sync-update', 'awareness'] as const) {
      expect(await attacker.attack(attack, `FORGED ${attack}`), attack).toBe(2)
    }
    // A genuine edit after the attacks: once it is everywhere, so would the forgeries be.
    await editor.appendParagraph('after the attack')
    const expected = 'genuine\nafter the attack'
    await expect.poll(() => reader.getText(), WAIT).toBe(expected)
    await expect.poll(() => attacker.getText(), WAIT).toBe(expected)
    expect(await editor.getText()).toBe(expected)

    const newcomer = await start('newcomer', edit)
    await expect.poll(() => newcomer.getText(), WAIT).toBe(expected)
    for (const peer of [editor, reader]) {
      const stats = await peer.gateStats()
      expect(stats.rejectedEntries, peer.name).toBe(1)
      const names = (await peer.people()).map((person) => person.name)
      expect(
        names.some((name) => name.startsWith('FORGED')),
        peer.name,
      ).toBe(false)
    }
    // Each is shown as what its proof allows: the two readers as viewers, the newcomer as editor.
    await expect
      .poll(async () => (await editor.people()).map((p) => p.role).sort(), WAIT)
      .toEqual(['editor', 'viewer', 'viewer'])
  })

  it('[GATE-3][VIEW-3] a genuine edit relayed by a reader reaches an editor the author has no connection to', async () => {
    const { edit, view } = links()
    // One direct connection each for the editors: both can reach only the reader.
    const ada = await start('ada', edit, 1)
    const reader = await start('reader', view, 10)
    await connected(ada, 1)
    await connected(reader, 1)
    const bea = await start('bea', edit, 1)
    await connected(bea, 1)
    await connected(reader, 2)
    expect((await ada.status()).peers).toBe(1)

    await ada.appendParagraph('from Ada')
    await expect.poll(() => bea.getText(), WAIT).toBe('from Ada')
    await bea.appendParagraph('from Bea')
    await expect.poll(() => ada.getText(), WAIT).toBe('from Ada\nfrom Bea')
    // Still only the reader between them.
    expect((await ada.status()).peers).toBe(1)
    expect((await bea.status()).peers).toBe(1)
  })
})
