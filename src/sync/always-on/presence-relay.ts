import { applyAwarenessUpdate, encodeAwarenessUpdate, type Awareness } from 'y-protocols/awareness'
import { NO_PARENT } from '../../protocol/entry'
import type { DocKeys } from '../../share/keys'
import { sealEntry, type OpenedEntry } from './crypto'
import { decodePayload, encodePayload } from './payload'

// Presence through one always-on peer (rule RELAY-2): this browser's own awareness state goes out
// as a signed, encrypted ephemeral entry (throttled, renewed so that it does not time out), and
// the entries others sent come back in, dated, so that presence replayed from long ago is ignored.
// The peer relays them and never stores them. Only an editor sends (sealing needs the write key);
// a reader still receives (rule STORE-13).

const AWARENESS_THROTTLE_MS = 100
const AWARENESS_RENEW_MS = 15_000
const AWARENESS_MAX_AGE_MS = 60_000
const RELAYED_FRESH_MS = 35_000

export interface PresenceRelayOptions {
  readonly awareness: Awareness
  /** This browser's Yjs client id: the one awareness state it may send. */
  readonly clientId: () => number
  /** The write keys; null for a reader, which sends nothing. */
  readonly keys: DocKeys | null
  /** The origin remote presence is applied with (the replicator), so it is not echoed back. */
  readonly origin: unknown
  /** False while the peer cannot take entries (not connected, or the document moved). */
  readonly canSend: () => boolean
  /** Puts a sealed ephemeral entry; its answer does not matter. */
  readonly put: (entry: Uint8Array) => void
  readonly onChange: () => void
  readonly warn: (message: string, error?: unknown) => void
}

export class PresenceRelay {
  /** Client ids heard through this peer, with when. */
  private readonly heard = new Map<number, number>()
  private throttle: ReturnType<typeof setTimeout> | null = null
  private readonly renew: ReturnType<typeof setInterval>

  constructor(private readonly options: PresenceRelayOptions) {
    options.awareness.on('update', this.onAwareness)
    this.renew = setInterval(() => {
      if (options.awareness.getLocalState() !== null) this.send()
    }, AWARENESS_RENEW_MS)
  }

  destroy(): void {
    this.options.awareness.off('update', this.onAwareness)
    clearInterval(this.renew)
    if (this.throttle) clearTimeout(this.throttle)
  }

  /** Presence heard through this peer in the last half minute: people reached by relay. */
  relayedClients(): number[] {
    const now = Date.now()
    const states = this.options.awareness.getStates()
    const me = this.options.clientId()
    return [...this.heard]
      .filter(([id, seen]) => now - seen < RELAYED_FRESH_MS && states.has(id) && id !== me)
      .map(([id]) => id)
  }

  /** Sends this browser's own state now (after a welcome, or when it changed). */
  send(): void {
    const keys = this.options.keys
    if (keys === null || !this.options.canSend()) return
    const me = this.options.clientId()
    const update = encodeAwarenessUpdate(this.options.awareness, [me])
    const payload = encodePayload({ type: 'awareness', sentAt: Date.now(), update })
    this.options.put(sealEntry(keys, { kind: 'ephemeral', parent: NO_PARENT, covers: 0 }, payload))
  }

  /** An ephemeral entry from the peer, already verified and decrypted. */
  receive(entry: OpenedEntry): void {
    if (entry.kind !== 'ephemeral') return
    const payload = decodePayload(entry.payload)
    if (payload?.type !== 'awareness') return
    // Presence replayed from long ago is ignored; y-protocols ignores older clocks anyway.
    if (Math.abs(Date.now() - payload.sentAt) > AWARENESS_MAX_AGE_MS) return
    try {
      applyAwarenessUpdate(this.options.awareness, payload.update, this.options.origin)
    } catch (error) {
      this.options.warn('Dropped presence from an always-on peer that does not apply.', error)
    }
  }

  private readonly onAwareness = (
    change: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown,
  ): void => {
    const now = Date.now()
    if (origin === this.options.origin) {
      for (const id of [...change.added, ...change.updated]) this.heard.set(id, now)
      for (const id of change.removed) this.heard.delete(id)
      this.options.onChange()
      return
    }
    const me = this.options.clientId()
    const mine = [...change.added, ...change.updated, ...change.removed].includes(me)
    if (!mine || this.throttle) return
    this.throttle = setTimeout(() => {
      this.throttle = null
      this.send()
    }, AWARENESS_THROTTLE_MS)
  }
}
