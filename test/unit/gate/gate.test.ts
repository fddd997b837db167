// The gate as a modified client would attack it (docs/SPEC.md, THREAT and GATE): a peer with a
// view link holds the read key and the verify key, never the write key. Whatever it sends —
// entries it signed itself, altered genuine entries, replays, y-webrtc's own unsigned sync
// messages — no honest peer applies, while genuine changes still cross it (it relays them).
import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import { ed25519 } from '@noble/curves/ed25519.js'
import { afterEach, describe, expect, it } from 'vitest'
import { docUpdates } from '../../../src/doc/doc-updates'
import { NO_PARENT } from '../../../src/protocol/entry'
import { deriveDocKeys, deriveReadKeys, type DocKeys } from '../../../src/share/keys'
import { newDocAddress } from '../../../src/share/link'
import { encodePayload } from '../../../src/sync/always-on/payload'
import { sealTombstone } from '../../../src/sync/always-on/tombstone'
import { ed25519Auto } from '../../../src/sync/gate/ed25519'
import { decodeGateMessage, encodeGateMessage } from '../../../src/sync/gate/messages'
import type { GateLink } from '../../../src/sync/gate/gate'
import { sealEntryAsync } from '../../../src/sync/gate/seal'
import { deflate } from '../../../src/sync/gate/deflate'
import { openEntry } from '../../../src/sync/always-on/crypto'
import { decodePayload } from '../../../src/sync/always-on/payload'
import { randomLetters } from '../../helpers/random'
import {
  connect,
  destroyAll,
  expectText,
  makePeer,
  settle,
  text,
  write,
  type NetPeer,
} from './gate-net'

const peers: NetPeer[] = []
afterEach(() => destroyAll(...peers.splice(0)))

function cast(): { editorKeys: DocKeys; readerKeys: ReturnType<typeof deriveReadKeys> } {
  const editorKeys = deriveDocKeys(newDocAddress())
  const readerKeys = deriveReadKeys(editorKeys.docId, editorKeys.readSecret, editorKeys.verifyKey)
  return { editorKeys, readerKeys }
}

function peer(name: string, keys: Parameters<typeof makePeer>[1]): NetPeer {
  const made = makePeer(name, keys)
  peers.push(made)
  return made
}

/** What a modified reader can make: a well-formed entry signed with a key of its own. */
async function forgedEntry(reader: ReturnType<typeof deriveReadKeys>, update: Uint8Array) {
  const fake: DocKeys = { ...reader, signingKey: ed25519.utils.randomSecretKey() }
  return sealEntryAsync(
    ed25519Auto,
    fake,
    { kind: 'update', parent: NO_PARENT, covers: 0 },
    encodePayload({ type: 'update-v1', update }),
  )
}

/** The `entries` messages an editor sends for these writes, one write (one entry) at a time. */
async function entriesOf(editor: NetPeer, ...writes: [number, string][]): Promise<Uint8Array[]> {
  const entries: Uint8Array[] = []
  const capture: GateLink = { label: 'capture', send: (bytes) => entries.push(bytes) }
  editor.gate.open(capture)
  const sent = (): Uint8Array[] => entries.filter((bytes) => bytes[0] === 101)
  for (const [index, [at, value]] of writes.entries()) {
    write(editor, at, value)
    await expect.poll(() => sent().length).toBe(index + 1)
  }
  return sent()
}

function updateWriting(value: string): Uint8Array {
  const doc = new Y.Doc()
  doc.getText('t').insert(0, value)
  return Y.encodeStateAsUpdate(doc)
}

describe('the gate between a document and its peers', () => {
  it('[GATE-1] editors converge through signed entries, both ways, also after a late connect', async () => {
    const { editorKeys } = cast()
    const a = peer('A', editorKeys)
    const b = peer('B', editorKeys)
    write(a, 0, 'offline A ')
    connect(a, b)
    await expectText(b, 'offline A ')
    write(b, 10, 'and B')
    await expectText(a, 'offline A and B')
    expect(a.gate.stats.rejectedEntries + b.gate.stats.rejectedEntries).toBe(0)
    expect(a.gate.stats.signedEntries).toBeGreaterThan(0)
  })

  it('[GATE-1] alone, the gate does not follow updates (so Yjs encodes none); a later link still gets everything', async () => {
    const { editorKeys } = cast()
    const a = peer('A', editorKeys)
    const b = peer('B', editorKeys)
    const followed = (p: NetPeer): number =>
      (p.doc as unknown as { _observers: Map<string, Set<unknown>> })._observers.get('update')
        ?.size ?? 0
    // A stored copy loaded while alone: one big transaction no one needs encoded.
    write(a, 0, 'loaded from storage ')
    expect(followed(a)).toBe(0)
    const disconnect = connect(a, b)
    expect(followed(a)).toBe(1)
    await expectText(b, 'loaded from storage ')
    write(a, 20, 'typed while linked')
    await expectText(b, 'loaded from storage typed while linked')
    disconnect()
    expect(followed(a)).toBe(0)
    expect(followed(b)).toBe(0)
    // Alone again, then linked again: what was written alone arrives.
    write(b, 0, 'B alone: ')
    connect(a, b)
    await expectText(a, 'B alone: loaded from storage typed while linked')
  })

  it('[GATE-1][THREAT-8] a reader changing its own document reaches nobody, and still receives', async () => {
    const { editorKeys, readerKeys } = cast()
    const a = peer('A', editorKeys)
    const r = peer('R', readerKeys)
    const r2 = peer('R2', readerKeys)
    connect(a, r)
    connect(r, r2)
    connect(a, r2)
    write(a, 0, 'minutes')
    await expectText(r, 'minutes')
    await expectText(r2, 'minutes')
    // The modified reader writes to its Y.Doc directly (its editor forced editable does the same).
    write(r, 0, 'FORGED ')
    await settle()
    expect(text(a)).toBe('minutes')
    expect(text(r2)).toBe('minutes')
    expect(r.warnings.some((w) => w.includes('view link'))).toBe(true)
    // Not cut off: later edits still arrive.
    write(a, 7, ' v2')
    await expect.poll(() => text(r)).toContain('minutes v2')
  })

  it('[GATE-1][THREAT-9] entries a reader signs itself are refused by editors and readers', async () => {
    const { editorKeys, readerKeys } = cast()
    const a = peer('A', editorKeys)
    const r2 = peer('R2', readerKeys)
    const attacker = peer('X', readerKeys)
    connect(attacker, a)
    connect(attacker, r2)
    write(a, 0, 'genuine')
    await expectText(r2, 'genuine')
    const entry = await forgedEntry(readerKeys, updateWriting('FORGED'))
    for (const target of ['A', 'R2']) {
      attacker.links.get(target)?.send(encodeGateMessage({ type: 'entries', entries: [entry] }))
    }
    await settle()
    expect(text(a)).toBe('genuine')
    expect(text(r2)).toBe('genuine')
    expect(a.gate.stats.rejectedEntries).toBe(1)
    expect(r2.gate.stats.rejectedEntries).toBe(1)
    expect(a.warnings.join('\n')).toContain('bad-signature')
  })

  /**
   * A writes `value`, which reaches editor B only through reader R; returns R's link to B and
   * the entries message A sent R, genuine and with one byte altered.
   */
  async function relayedThroughReader(value: string) {
    const { editorKeys, readerKeys } = cast()
    const a = peer('A', editorKeys)
    const r = peer('R', readerKeys)
    const b = peer('B', editorKeys)
    const seen: Uint8Array[] = []
    connect(a, r)
    const receive = r.gate.receive.bind(r.gate)
    r.gate.receive = (link, bytes) => {
      // Entries messages from A only (B, an editor, answers R with a diff it signs itself).
      if (bytes[0] === 101 && link.label === 'R->A') seen.push(bytes)
      receive(link, bytes)
    }
    write(a, 0, value)
    await expectText(r, value)
    connect(r, b)
    await expectText(b, value)
    const genuine = seen.at(-1) as Uint8Array
    const altered = Uint8Array.from(genuine)
    altered[altered.length - 80] = (altered[altered.length - 80] ?? 0) ^ 1
    return { b, toB: r.links.get('B'), genuine, altered }
  }

  it('[GATE-1][THREAT-9] a genuine entry altered in transit is refused; its replay changes nothing', async () => {
    const { b, toB, genuine, altered } = await relayedThroughReader('hello')
    toB?.send(altered)
    toB?.send(genuine)
    await settle()
    expect(text(b)).toBe('hello')
    expect(b.gate.stats.rejectedEntries).toBe(1)
  })

  it('[GATE-1][THREAT-9] a large entry (hashed by WebCrypto) altered is refused; the genuine one applies once, its replays change nothing', async () => {
    // One transaction whose entry stays larger than NATIVE_HASH_FROM (64 KiB) once compressed.
    const chapter = randomLetters(150_000)
    const { b, toB, genuine, altered } = await relayedThroughReader(chapter)
    expect(genuine.byteLength).toBeGreaterThan(64 * 1024)
    // B has the chapter through R; now that entry itself, an altered copy and two replays.
    const applied = b.gate.stats.appliedEntries
    toB?.send(genuine)
    toB?.send(altered)
    toB?.send(genuine)
    toB?.send(genuine)
    await settle()
    expect(text(b)).toBe(chapter)
    expect(b.gate.stats.rejectedEntries).toBe(1)
    // Applied once (changing nothing: B had it all); the replays are dropped unopened.
    expect(b.gate.stats.appliedEntries).toBe(applied + 1)
  })

  it('[GATE-7] a large update travels compressed and arrives whole; a small one as it is', async () => {
    const { editorKeys } = cast()
    const a = peer('A', editorKeys)
    const b = peer('B', editorKeys)
    connect(a, b)
    // What A sends B, opened as any holder of the link could.
    const kinds: string[] = []
    const link = a.links.get('B')
    if (!link) throw new Error('no link')
    const send = link.send.bind(link)
    link.send = (bytes) => {
      const decoded = decodeGateMessage(bytes)
      if (decoded.ok && decoded.message.type === 'entries') {
        for (const entry of decoded.message.entries) {
          const opened = openEntry(editorKeys, entry, 1 << 30)
          kinds.push(opened.ok ? (decodePayload(opened.value.payload)?.type ?? '?') : opened.reason)
        }
      }
      send(bytes)
    }
    const book = Array.from({ length: 8000 }, (_, i) => `Line ${i} of the book. `).join('')
    write(a, 0, book)
    await expectText(b, book)
    write(a, 0, 'short ')
    await expectText(b, `short ${book}`)
    // The book once as A's change, and again if it answers B's first `want` after writing it.
    expect(kinds.at(-1)).toBe('update-v1')
    expect(kinds.length).toBeGreaterThanOrEqual(2)
    expect(new Set(kinds.slice(0, -1))).toEqual(new Set(['update-v1-deflate']))
    expect(b.gate.stats.rejectedEntries).toBe(0)
  })

  it('[GATE-7][THREAT-13] compressed updates that inflate past their stated size, short of it, or not at all are refused; the document stays whole', async () => {
    const { editorKeys } = cast()
    const a = peer('A', editorKeys)
    const b = peer('B', editorKeys)
    connect(a, b)
    write(a, 0, 'intact')
    await expectText(b, 'intact')
    const real = updateWriting('PAYLOAD '.repeat(20_000))
    const bomb = await deflate(new Uint8Array(50_000_000))
    const payloads = [
      // A bomb: 50 MB of zeros declared as 1 KB.
      { type: 'update-v1-deflate' as const, size: 1024, deflated: bomb },
      // Declared larger than it inflates to.
      { type: 'update-v1-deflate' as const, size: real.length + 1, deflated: await deflate(real) },
      // Not a deflate stream.
      { type: 'update-v1-deflate' as const, size: 100, deflated: new Uint8Array(64).fill(7) },
      // Declared beyond what any entry may be.
      { type: 'update-v1-deflate' as const, size: 2 ** 40, deflated: await deflate(real) },
    ]
    // Signed with the write key: what a modified editor's client can send.
    const entries = await Promise.all(
      payloads.map((payload) =>
        sealEntryAsync(
          ed25519Auto,
          editorKeys,
          { kind: 'update', parent: NO_PARENT, covers: 0 },
          encodePayload(payload),
        ),
      ),
    )
    a.links.get('B')?.send(encodeGateMessage({ type: 'entries', entries }))
    await expect.poll(() => b.gate.stats.rejectedEntries, { timeout: 10_000 }).toBe(4)
    expect(text(b)).toBe('intact')
    expect(b.warnings.join('\n')).toContain('does not inflate')
    // Still in business: genuine edits arrive.
    write(a, 6, ' and well')
    await expectText(b, 'intact and well')
  })

  it('[GATE-2] y-webrtc’s unsigned sync and awareness messages are not read at all', async () => {
    const { editorKeys, readerKeys } = cast()
    const a = peer('A', editorKeys)
    const attacker = peer('X', readerKeys)
    connect(a, attacker)
    write(a, 0, 'safe')
    await expectText(attacker, 'safe')
    const sync = encoding.createEncoder()
    encoding.writeVarUint(sync, 0) // y-webrtc's messageSync
    syncProtocol.writeUpdate(sync, updateWriting('UNSIGNED'))
    attacker.links.get('A')?.send(encoding.toUint8Array(sync))
    const step2 = encoding.createEncoder()
    encoding.writeVarUint(step2, 0)
    syncProtocol.writeSyncStep2(
      step2,
      (() => {
        const doc = new Y.Doc()
        doc.getText('t').insert(0, 'STEP2 ')
        return doc
      })(),
    )
    attacker.links.get('A')?.send(encoding.toUint8Array(step2))
    attacker.links.get('A')?.send(Uint8Array.from([101, 5, 1, 2])) // a truncated entries message
    await settle()
    expect(text(a)).toBe('safe')
    expect(a.gate.stats.malformedMessages).toBe(1)
  })

  it('[GATE-3] a genuine edit relayed by a reader is accepted by a peer that only the reader reaches', async () => {
    const { editorKeys, readerKeys } = cast()
    const a = peer('A', editorKeys)
    const r = peer('R', readerKeys)
    const c = peer('C', readerKeys)
    const d = peer('D', editorKeys)
    connect(a, r)
    connect(r, c)
    connect(c, d)
    write(a, 0, 'through two readers')
    await expectText(d, 'through two readers')
    write(d, 0, '> ')
    await expectText(a, '> through two readers')
  })

  it('[GATE-4] a newcomer that reaches only a reader gets the whole document from it', async () => {
    const { editorKeys, readerKeys } = cast()
    const a = peer('A', editorKeys)
    const r = peer('R', readerKeys)
    const cut = connect(a, r)
    write(a, 0, 'chapter one')
    await expectText(r, 'chapter one')
    write(a, 0, 'Title: ')
    a.doc.getText('t').delete(7, 8) // "Title: " + "ter one": a deletion the log must hand on
    await expectText(r, text(a))
    cut()
    const n = peer('N', readerKeys)
    connect(r, n)
    await expectText(n, text(a))
    expect(n.gate.stats.rejectedEntries).toBe(0)
  })

  it('[MOVE-8][THREAT-7] a tombstone by the write key moves every peer here and later ones; a forged one moves nobody', async () => {
    const { editorKeys, readerKeys } = cast()
    const moved: string[] = []
    const a = peer('A', editorKeys)
    const b = peer('B', editorKeys)
    const r = peer('R', readerKeys)
    connect(a, b)
    connect(b, r)
    write(a, 0, 'old link')
    await expectText(r, 'old link')
    // A reader cannot end the link: its tombstone is signed with a key of its own.
    const fake: DocKeys = { ...readerKeys, signingKey: ed25519.utils.randomSecretKey() }
    r.links.get('B')?.send(encodeGateMessage({ type: 'entries', entries: [sealTombstone(fake)] }))
    await settle()
    expect(b.gate.moved).toBe(false)
    expect(b.gate.stats.rejectedEntries).toBe(1)

    a.gate.broadcastEntry(sealTombstone(editorKeys))
    await expect.poll(() => [b.gate.moved, r.gate.moved], { timeout: 5_000 }).toEqual([true, true])
    for (const p of [a, b, r]) if (p.gate.moved) moved.push(p.name)
    expect(moved).toEqual(['B', 'R'])
    // Nothing is sent after the move, and a newcomer on the old link learns of it from R.
    write(b, 0, 'after ')
    const n = peer('N', readerKeys)
    connect(r, n)
    await expect.poll(() => n.gate.moved, { timeout: 5_000 }).toBe(true)
    await settle()
    expect(text(a)).toBe('old link')
  })

  it('[GATE-3] an entry that arrives ahead of the one it builds on is still handed on', async () => {
    const { editorKeys, readerKeys } = cast()
    const a = peer('A', editorKeys)
    const r = peer('R', readerKeys)
    const c = peer('C', readerKeys)
    connect(r, c)
    // Two of A's entries, the second building on the first, reach R in the wrong order.
    const [first, second] = await entriesOf(a, [0, 'first '], [6, 'second'])
    const link: GateLink = { label: 'A', send: () => undefined }
    r.gate.open(link)
    r.gate.receive(link, second as Uint8Array)
    await settle()
    r.gate.receive(link, first as Uint8Array)
    await expectText(r, 'first second')
    await expectText(c, 'first second')
  })

  it('[GATE-8][GATE-3] what a relaying peer stores is exactly what it applied, entries in order or not', async () => {
    const { editorKeys, readerKeys } = cast()
    const a = peer('A', editorKeys)
    const b = peer('B', editorKeys)
    const r = peer('R', readerKeys)
    // What the local store of R would keep: everything R's update hub hands on.
    const stored: Uint8Array[] = []
    docUpdates(r.doc).subscribe((update) => stored.push(update))
    const [one, two, three] = await entriesOf(a, [0, 'one '], [4, 'two '], [8, 'three'])
    connect(r, b)
    const link: GateLink = { label: 'A', send: () => undefined }
    r.gate.open(link)
    // The third waits for the second inside Yjs; the second releases it; the first, in order.
    r.gate.receive(link, three as Uint8Array)
    await settle()
    r.gate.receive(link, two as Uint8Array)
    await settle()
    r.gate.receive(link, one as Uint8Array)
    await expectText(r, 'one two three')
    await expectText(b, 'one two three')
    const copy = new Y.Doc()
    for (const update of stored) Y.applyUpdate(copy, update)
    expect(copy.getText('t').toString()).toBe('one two three')
    expect(Y.encodeStateVector(copy)).toEqual(Y.encodeStateVector(r.doc))
  })

  it('[GATE-5][SYNC-2] alone, nothing is signed; a tab that answers on the shared channel gets everything', async () => {
    const { editorKeys } = cast()
    const a = peer('A', editorKeys)
    const b = peer('B', editorKeys)
    // One BroadcastChannel between tabs: both ends are shared links; B's tab is not open yet.
    let bOpen = false
    const toB: GateLink = {
      label: 'tabs',
      shared: true,
      send: (bytes) =>
        setTimeout(() => {
          if (bOpen) b.gate.receive(toA, bytes)
        }, 0),
    }
    const toA: GateLink = {
      label: 'tabs',
      shared: true,
      send: (bytes) => setTimeout(() => a.gate.receive(toB, bytes), 0),
    }
    a.gate.open(toB)
    await settle()
    // A bulk change while alone: thousands of updates, no signature.
    for (let i = 0; i < 2_000; i += 1) write(a, i, 'x')
    await settle()
    expect(a.gate.stats.signedEntries).toBe(0)
    // Another tab opens: it asks, A answers with one diff, and from then on A signs.
    bOpen = true
    b.gate.open(toA)
    await expectText(b, 'x'.repeat(2_000))
    for (let i = 0; i < 500; i += 1) write(a, 0, 'y')
    await expectText(b, 'y'.repeat(500) + 'x'.repeat(2_000))
    expect(a.gate.stats.signedEntries).toBeLessThan(20)
  })
})
