// Editors and a reader that connect and disconnect at random while the editors type and delete:
// whatever the order in which entries reach a peer (directly, relayed, in answer to `want`), all
// peers converge (GATE-3, GATE-4), and what each peer's update hub handed to its listeners (what
// its local store would keep) rebuilds exactly its document (GATE-8).
import * as Y from 'yjs'
import { afterEach, describe, expect, it } from 'vitest'
import { docUpdates } from '../../../src/doc/doc-updates'
import { deriveDocKeys, deriveReadKeys } from '../../../src/share/keys'
import { newDocAddress } from '../../../src/share/link'
import { createRng } from '../../helpers/random'
import { connect, destroyAll, makePeer, settle, text, WAIT, type NetPeer } from './gate-net'

const SEEDS = 8
const STEPS = 40

const peers: NetPeer[] = []
afterEach(() => destroyAll(...peers.splice(0)))

describe('the gate under random links and edits', () => {
  it('[GATE-3][GATE-4][GATE-8] peers converge, and what each stored rebuilds its document', async () => {
    for (let seed = 1; seed <= SEEDS; seed += 1) {
      const rng = createRng(seed)
      const editorKeys = deriveDocKeys(newDocAddress())
      const readerKeys = deriveReadKeys(
        editorKeys.docId,
        editorKeys.readSecret,
        editorKeys.verifyKey,
      )
      const editors = ['A', 'B', 'C'].map((name) => makePeer(name, editorKeys))
      const reader = makePeer('R', readerKeys)
      const all = [...editors, reader]
      peers.push(...all)
      const stored = new Map<NetPeer, Uint8Array[]>(all.map((peer) => [peer, []]))
      for (const peer of all) {
        docUpdates(peer.doc).subscribe((update) => stored.get(peer)?.push(update))
      }
      // One link per pair at most; `cut` ends it.
      const links = new Map<string, () => void>()
      const pairs = all.flatMap((a, i) => all.slice(i + 1).map((b) => [a, b] as const))
      for (let step = 0; step < STEPS; step += 1) {
        if (rng.chance(0.3)) {
          const [a, b] = rng.pick(pairs)
          const key = `${a.name}${b.name}`
          const cut = links.get(key)
          if (cut) {
            cut()
            links.delete(key)
          } else links.set(key, connect(a, b))
        } else {
          const editor = rng.pick(editors)
          const body = editor.doc.getText('t')
          if (body.length > 4 && rng.chance(0.3)) body.delete(rng.int(body.length - 2), 2)
          else body.insert(rng.int(body.length + 1), `${editor.name}${step} `)
        }
        if (rng.chance(0.3)) await settle()
      }
      // Everyone linked in a line through the reader: A - R - B - C.
      for (const cut of links.values()) cut()
      for (const [a, b] of [
        [editors[0], reader],
        [reader, editors[1]],
        [editors[1], editors[2]],
      ] as const) {
        connect(a as NetPeer, b as NetPeer)
      }
      const expected = (): string[] => all.map(text)
      await expect
        .poll(() => new Set(expected()).size, { ...WAIT, message: `seed ${seed}` })
        .toBe(1)
      for (const peer of all) {
        const copy = new Y.Doc()
        for (const update of stored.get(peer) ?? []) Y.applyUpdate(copy, update)
        expect(copy.getText('t').toString(), `seed ${seed}, ${peer.name}`).toBe(text(peer))
        expect(Y.encodeStateVector(copy), `seed ${seed}, ${peer.name}`).toEqual(
          Y.encodeStateVector(peer.doc),
        )
      }
      expect(all.map((peer) => peer.gate.stats.rejectedEntries)).toEqual([0, 0, 0, 0])
      destroyAll(...peers.splice(0))
    }
  }, 120_000)
})
