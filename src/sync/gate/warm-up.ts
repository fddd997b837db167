import * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'
import { deriveDocKeys } from '../../share/keys'
import { newDocAddress } from '../../share/link'
import { ed25519Auto } from './ed25519'
import { Gate, type GateLink } from './gate'

// The editor's idle warm-up (rule BIND-8, src/editor/warm-up.ts) joins its scratch document and
// a throwaway peer through two real gates, keyed for a throwaway document, on in-memory links.
// A collaborator's first edit is then sealed, signed, checked and opened by code that has run
// before: measured at x20, the first remote edit spent 20-25 ms compiling the gate's and the
// receiving path's functions, later ones none. Nothing leaves the page: the links are function
// calls, and the keys are of a document nobody has.

interface Side {
  readonly doc: Y.Doc
  readonly awareness: Awareness
}

/** Rounds of delivery `settle` waits at most before giving up (each a macrotask or more). */
const MAX_ROUNDS = 500

export function gateLink(local: Side, remote: Side): { settle(): Promise<void>; close(): void } {
  const keys = deriveDocKeys(newDocAddress())
  const warnings: string[] = []
  const gateOf = (side: Side): Gate =>
    new Gate({
      doc: side.doc,
      awareness: side.awareness,
      keys,
      engine: ed25519Auto,
      warn: (message) => warnings.push(message),
      // The page's timeline speaks of the open document's first entry, never of these.
      markFirstEntry: false,
    })
  const gates = [gateOf(local), gateOf(remote)] as const
  let open = true
  // Delivered on a later macrotask and in order, as a data channel delivers.
  const deliver = (to: Gate, from: GateLink, bytes: Uint8Array): void => {
    setTimeout(() => {
      if (open) to.receive(from, bytes)
    }, 0)
  }
  // Each side's link is what it sends on; the receiver sees its own link to the sender.
  const localToRemote: GateLink = {
    label: 'warm-up',
    send: (bytes) => deliver(gates[1], remoteToLocal, bytes),
  }
  const remoteToLocal: GateLink = {
    label: 'warm-up',
    send: (bytes) => deliver(gates[0], localToRemote, bytes),
  }
  gates[0].open(localToRemote)
  gates[1].open(remoteToLocal)
  // Both hold the same changes, and once the peer shows a caret, the scratch side shows it
  // (under a number of its own: presence never keeps the sender's id).
  const peerCaretShown = (): boolean =>
    [...local.awareness.getStates()].some(
      ([id, state]) => id !== local.awareness.clientID && state['cursor'] != null,
    )
  const same = (): boolean =>
    equal(Y.encodeStateVector(local.doc), Y.encodeStateVector(remote.doc)) &&
    (remote.awareness.getLocalState()?.['cursor'] == null || peerCaretShown())
  return {
    async settle() {
      for (let round = 0; round < MAX_ROUNDS && open; round++) {
        if (same()) return
        await new Promise((resolve) => setTimeout(resolve, 0))
      }
      if (!same()) throw new Error(`warm-up: the gates did not settle (${warnings.join('; ')})`)
    },
    close() {
      open = false
      for (const gate of gates) gate.destroy()
    },
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i])
}
