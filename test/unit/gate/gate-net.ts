// A hand-wired network of gates for unit tests: each peer is a Y.Doc, an Awareness and a Gate;
// `connect(a, b)` makes a pair of in-memory links (delivery on a later macrotask, in order, like
// a data channel). The Ed25519 is the real one (WebCrypto in Node 20), as in the browser.
import * as Y from 'yjs'
import { Awareness } from 'y-protocols/awareness'
import { expect } from 'vitest'
import type { DocKeys, ReadKeys } from '../../../src/share/keys'
import { ed25519Auto } from '../../../src/sync/gate/ed25519'
import { Gate, type GateLink } from '../../../src/sync/gate/gate'

export interface NetPeer {
  readonly name: string
  readonly doc: Y.Doc
  readonly awareness: Awareness
  readonly gate: Gate
  readonly warnings: string[]
  /** Links to other peers, by their name: raw access for an attacker's crafted messages. */
  readonly links: Map<string, GateLink>
}

export function makePeer(name: string, keys: DocKeys | ReadKeys): NetPeer {
  const doc = new Y.Doc()
  const awareness = new Awareness(doc)
  awareness.setLocalStateField('user', { name, color: '#1971c2' })
  const warnings: string[] = []
  const gate = new Gate({
    doc,
    awareness,
    keys,
    engine: ed25519Auto,
    warn: (message) => warnings.push(message),
  })
  return { name, doc, awareness, gate, warnings, links: new Map() }
}

/** Two links, one per direction; messages arrive asynchronously and in order. */
export function connect(a: NetPeer, b: NetPeer): () => void {
  let open = true
  const deliver = (to: NetPeer, from: GateLink, bytes: Uint8Array): void => {
    setTimeout(() => {
      if (open) to.gate.receive(from, bytes)
    }, 0)
  }
  // Each side's link object is what it sends on; the receiver sees its own link to the sender.
  const aToB: GateLink = { label: `${a.name}->${b.name}`, send: (bytes) => deliver(b, bToA, bytes) }
  const bToA: GateLink = { label: `${b.name}->${a.name}`, send: (bytes) => deliver(a, aToB, bytes) }
  a.links.set(b.name, aToB)
  b.links.set(a.name, bToA)
  a.gate.open(aToB)
  b.gate.open(bToA)
  return () => {
    open = false
    a.gate.close(aToB)
    b.gate.close(bToA)
  }
}

export function text(peer: NetPeer): string {
  return peer.doc.getText('t').toString()
}

export function write(peer: NetPeer, at: number, value: string): void {
  peer.doc.getText('t').insert(at, value)
}

export const WAIT = { timeout: 5_000, interval: 10 }

export async function settle(): Promise<void> {
  // Several rounds of link delivery plus asynchronous signing and verification.
  for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setTimeout(resolve, 5))
}

export async function expectText(peer: NetPeer, value: string): Promise<void> {
  await expect.poll(() => text(peer), { ...WAIT, message: `${peer.name}'s text` }).toBe(value)
}

export function destroyAll(...peers: NetPeer[]): void {
  for (const peer of peers) {
    peer.gate.destroy()
    peer.awareness.destroy()
    peer.doc.destroy()
  }
}
