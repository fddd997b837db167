import { NO_PARENT } from '../../protocol/entry'
import type { DocKeys } from '../../share/keys'
import { sealEntry, type OpenedEntry } from './crypto'
import { decodePayload, encodePayload } from './payload'

// Presence through one always-on peer (rules RELAY-2, PRESENCE-1..3): the signed presence
// message this session made (the same one the gate sends peers) goes out inside a sealed
// ephemeral entry, and the ones others sent come back through the same check as over WebRTC, so
// the relay cannot be used to set or clear anyone else's state either. The peer relays them and
// never stores them. Only an editor sends (sealing needs the write key); a reader still receives
// (rule STORE-13) and is seen by others through WebRTC only.

const PRESENCE_THROTTLE_MS = 100
const PRESENCE_MAX_AGE_MS = 60_000
const RELAYED_FRESH_MS = 35_000

/** The signed presence of this session (the gate's `Presence` implements it). */
export interface PresenceChannel {
  /** Our latest signed state, null when there is none. */
  latest(): Uint8Array | null
  /** Every message this session signs (a new state, a renewal, a goodbye). */
  onPublish(listener: (message: Uint8Array) => void): () => void
  /** Checks and shows a message from elsewhere; says under which awareness id, if applied. */
  receive(
    message: Uint8Array,
  ): Promise<{ readonly verdict: 'applied' | 'stale' | 'rejected'; readonly id: number | null }>
  /** Awareness ids shown now. */
  shown(): ReadonlySet<number>
}

export interface PresenceRelayOptions {
  readonly presence: PresenceChannel
  /** The write keys; null for a reader, which sends nothing. */
  readonly keys: DocKeys | null
  /** False while the peer cannot take entries (not connected, or the document moved). */
  readonly canSend: () => boolean
  /** Puts a sealed ephemeral entry; its answer does not matter. */
  readonly put: (entry: Uint8Array) => void
  readonly onChange: () => void
  readonly warn: (message: string, error?: unknown) => void
}

export class PresenceRelay {
  /** Awareness ids heard through this peer, with when. */
  private readonly heard = new Map<number, number>()
  private throttle: ReturnType<typeof setTimeout> | null = null
  private pending: Uint8Array | null = null
  private readonly stopListening: () => void

  constructor(private readonly options: PresenceRelayOptions) {
    this.stopListening = options.presence.onPublish((message) => this.queue(message))
  }

  destroy(): void {
    this.stopListening()
    if (this.throttle) clearTimeout(this.throttle)
  }

  /** Presence heard through this peer in the last half minute: people reached by relay. */
  relayedClients(): number[] {
    const now = Date.now()
    const shown = this.options.presence.shown()
    return [...this.heard]
      .filter(([id, seen]) => now - seen < RELAYED_FRESH_MS && shown.has(id))
      .map(([id]) => id)
  }

  /** Sends this session's latest state now (after a welcome). */
  send(): void {
    const latest = this.options.presence.latest()
    if (latest) this.put(latest)
  }

  /** An ephemeral entry from the peer, already verified and decrypted. */
  receive(entry: OpenedEntry): void {
    if (entry.kind !== 'ephemeral') return
    const payload = decodePayload(entry.payload)
    if (payload?.type !== 'presence') return
    if (Math.abs(Date.now() - payload.sentAt) > PRESENCE_MAX_AGE_MS) return
    void this.options.presence.receive(payload.presence).then(({ verdict, id }) => {
      if (verdict === 'rejected') {
        this.options.warn('Dropped presence from an always-on peer that does not verify.')
      }
      if (verdict !== 'applied' || id === null) return
      this.heard.set(id, Date.now())
      this.options.onChange()
    })
  }

  /** At most one message per throttle period; the latest wins (a goodbye included). */
  private queue(message: Uint8Array): void {
    this.pending = message
    if (this.throttle) return
    this.throttle = setTimeout(() => {
      this.throttle = null
      const next = this.pending
      this.pending = null
      if (next) this.put(next)
    }, PRESENCE_THROTTLE_MS)
  }

  private put(message: Uint8Array): void {
    const keys = this.options.keys
    if (keys === null || !this.options.canSend()) return
    const payload = encodePayload({ type: 'presence', sentAt: Date.now(), presence: message })
    this.options.put(sealEntry(keys, { kind: 'ephemeral', parent: NO_PARENT, covers: 0 }, payload))
  }
}
