import { ed25519 } from '@noble/curves/ed25519.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { toHexString } from 'lib0/buffer'
import type { Awareness } from 'y-protocols/awareness'
import type { DocKeys, ReadKeys } from '../../share/keys'
import type { AsyncEd25519 } from './ed25519'
import {
  editorProofInput,
  parsePresence,
  signPresence,
  verifyPresence,
  type SignedPresence,
} from './presence-codec'

// Presence that cannot be forged (rules PRESENCE-1..3). The app, the caret plugin and the people
// list keep reading a y-protocols Awareness; this class is the only way states get into it from
// the network. Each session signs its own state with a fresh session key; a remote state is
// filed under a local number allocated per session key (never a client id the sender chose), so
// no peer can set, replace or clear another's state, and the role shown ("editor" or "viewer")
// comes from the write key's proof, never from the state itself.

export const PRESENCE_ORIGIN = 'meshpad-presence'
export type Role = 'editor' | 'viewer'

/** Older than this, a presence message is a replay (a peer renews every 15 s). */
export const PRESENCE_MAX_AGE_MS = 60_000
/** Clocks run ahead on some machines; further ahead than this is not believed. */
export const PRESENCE_MAX_AHEAD_MS = 10 * 60_000
/** Session keys remembered at once; beyond it the longest-gone are forgotten. */
const MAX_SESSIONS = 1_000
/** Awareness ids of remote sessions start above every Yjs client id (those are 32-bit). */
const FIRST_REMOTE_ID = 2 ** 32

export type PresenceVerdict = 'applied' | 'stale' | 'rejected'

const STALE = { verdict: 'stale', id: null } as const
const REJECTED = { verdict: 'rejected', id: null } as const

export interface PresenceReceipt {
  readonly verdict: PresenceVerdict
  /** The awareness id the state is filed under, when applied. */
  readonly id: number | null
}

interface Session {
  readonly id: number
  readonly role: Role
  clock: number
  latest: Uint8Array
}

export interface PresenceOptions {
  readonly awareness: Awareness
  readonly keys: ReadKeys | DocKeys
  readonly engine: AsyncEd25519
  /** Sends our own signed presence (more senders can listen with `onPublish`). */
  readonly publish?: (message: Uint8Array) => void
  readonly now?: () => number
}

export class Presence {
  readonly sessionKey: Uint8Array
  /** Our session key in hex, to recognise our own messages coming back. */
  private readonly ownKey: string
  readonly role: Role
  private readonly seed = randomBytes(32)
  private readonly topic: string
  private readonly now: () => number
  private clock = 0
  private latestOwn: Uint8Array | null = null
  /**
   * Our goodbye, signed with each state (one clock tick later), so that leaving needs no
   * asynchronous signature: a page that is closing or going offline sends it at once.
   */
  private farewell: Uint8Array | null = null
  private publishing = false
  private dirty = false
  private destroyed = false
  private nextId = FIRST_REMOTE_ID
  private readonly sessions = new Map<string, Session>()
  private readonly proofs = new Map<string, Promise<boolean>>()
  private readonly editorProof: Promise<Uint8Array>
  private readonly listeners = new Set<(message: Uint8Array) => void>()

  constructor(private readonly options: PresenceOptions) {
    this.sessionKey = ed25519.getPublicKey(this.seed)
    this.ownKey = toHexString(this.sessionKey)
    this.topic = options.keys.storeTopic
    this.now = options.now ?? Date.now
    const keys = options.keys
    this.role = 'signingKey' in keys ? 'editor' : 'viewer'
    this.editorProof =
      'signingKey' in keys
        ? options.engine.sign(keys.signingKey, editorProofInput(this.topic, this.sessionKey))
        : Promise.resolve(new Uint8Array(0))
    if (options.publish) this.listeners.add(options.publish)
    options.awareness.on('update', this.onAwareness)
    if (options.awareness.getLocalState() !== null) this.schedule()
  }

  /** Our latest signed state, or null when we have none (or left). */
  latest(): Uint8Array | null {
    return this.latestOwn
  }

  /** Awareness ids of the remote sessions shown now. */
  shown(): ReadonlySet<number> {
    const states = this.options.awareness.getStates()
    const ids = new Set<number>()
    for (const session of this.sessions.values()) if (states.has(session.id)) ids.add(session.id)
    return ids
  }

  /** Calls `listener` with every presence message this session signs; returns its removal. */
  onPublish(listener: (message: Uint8Array) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private emit(message: Uint8Array): void {
    for (const listener of this.listeners) listener(message)
  }

  /** Our latest message and every live session's, for a link that just opened. */
  known(): Uint8Array[] {
    const out: Uint8Array[] = []
    if (this.latestOwn) out.push(this.latestOwn)
    const states = this.options.awareness.getStates()
    for (const session of this.sessions.values()) {
      if (states.has(session.id)) out.push(session.latest)
    }
    return out
  }

  /** Checks a presence message and, if it is new and genuine, shows it. */
  async receive(bytes: Uint8Array): Promise<PresenceReceipt> {
    const parsed = parsePresence(bytes)
    if (!parsed.ok) return REJECTED
    const message = parsed.value
    const key = toHexString(message.sessionKey)
    if (key === this.ownKey) return STALE
    const now = this.now()
    if (
      message.sentAt < now - PRESENCE_MAX_AGE_MS ||
      message.sentAt > now + PRESENCE_MAX_AHEAD_MS
    ) {
      return STALE
    }
    const known = this.sessions.get(key)
    if (known && message.clock <= known.clock) return STALE
    if (!(await verifyPresence(this.options.engine, this.topic, message))) return REJECTED
    const role: Role = (await this.provesEditor(key, message)) ? 'editor' : 'viewer'
    if (this.destroyed) return STALE
    // Verification is asynchronous: a newer message may have landed meanwhile.
    const current = this.sessions.get(key)
    if (current && message.clock <= current.clock) return STALE
    const session = current ?? this.admit(key, role)
    session.clock = message.clock
    session.latest = bytes
    this.show(session, message)
    return { verdict: 'applied', id: session.id }
  }

  /** Says goodbye (the pre-signed empty state), e.g. when the page goes away or goes offline. */
  leave(): void {
    const farewell = this.farewell
    this.farewell = null
    this.latestOwn = null
    if (farewell) this.emit(farewell)
  }

  /** Sends our state again, e.g. after coming back online. */
  announce(): void {
    if (this.options.awareness.getLocalState() !== null) this.schedule()
  }

  destroy(): void {
    this.destroyed = true
    this.options.awareness.off('update', this.onAwareness)
  }

  private provesEditor(key: string, message: SignedPresence): Promise<boolean> {
    if (message.editorProof.length === 0) return Promise.resolve(false)
    let proof = this.proofs.get(key)
    if (proof === undefined) {
      proof = this.options.engine.verify(
        message.editorProof,
        editorProofInput(this.topic, message.sessionKey),
        this.options.keys.verifyKey,
      )
      this.proofs.set(key, proof)
    }
    return proof
  }

  private admit(key: string, role: Role): Session {
    if (this.sessions.size >= MAX_SESSIONS) this.forgetOne()
    const session: Session = { id: this.nextId, role, clock: 0, latest: new Uint8Array(0) }
    this.nextId += 1
    this.sessions.set(key, session)
    return session
  }

  private forgetOne(): void {
    const states = this.options.awareness.getStates()
    for (const [key, session] of this.sessions) {
      if (states.has(session.id)) continue
      this.sessions.delete(key)
      this.proofs.delete(key)
      return
    }
    const [oldest] = this.sessions.keys()
    if (oldest !== undefined) {
      this.remove(this.sessions.get(oldest)?.id)
      this.sessions.delete(oldest)
      this.proofs.delete(oldest)
    }
  }

  private remove(id: number | undefined): void {
    const awareness = this.options.awareness
    if (id === undefined || !awareness.states.has(id)) return
    awareness.states.delete(id)
    const change = { added: [], updated: [], removed: [id] }
    awareness.emit('change', [change, PRESENCE_ORIGIN])
    awareness.emit('update', [change, PRESENCE_ORIGIN])
  }

  private show(session: Session, message: SignedPresence): void {
    const awareness = this.options.awareness
    const id = session.id
    if (message.state === null) {
      this.remove(id)
      return
    }
    const had = awareness.states.has(id)
    const before = JSON.stringify(awareness.states.get(id) ?? null)
    const state = { ...message.state, role: session.role }
    awareness.states.set(id, state)
    awareness.meta.set(id, { clock: message.clock, lastUpdated: this.now() })
    const change = { added: had ? [] : [id], updated: had ? [id] : [], removed: [] }
    if (!had || before !== JSON.stringify(state)) {
      awareness.emit('change', [change, PRESENCE_ORIGIN])
    }
    awareness.emit('update', [change, PRESENCE_ORIGIN])
  }

  private readonly onAwareness = (
    change: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown,
  ): void => {
    if (origin === PRESENCE_ORIGIN) return
    const own = this.options.awareness.clientID
    if ([...change.added, ...change.updated, ...change.removed].includes(own)) this.schedule()
  }

  /** One signature at a time; changes that land meanwhile go out as one, the latest. */
  private schedule(): void {
    if (this.publishing) {
      this.dirty = true
      return
    }
    this.publishing = true
    void this.sign(this.options.awareness.getLocalState()).then((message) => {
      this.publishing = false
      if (message && !this.destroyed) this.emit(message)
      if (this.dirty && !this.destroyed) {
        this.dirty = false
        this.schedule()
      }
    })
  }

  private async sign(state: Record<string, unknown> | null): Promise<Uint8Array | null> {
    const clock = this.clock + 1
    this.clock += 2
    const sentAt = this.now()
    const editorProof = await this.editorProof
    const body = (at: number, content: Record<string, unknown> | null) => ({
      sessionKey: this.sessionKey,
      clock: at,
      sentAt,
      state: content,
      editorProof,
    })
    try {
      const engine = this.options.engine
      const [message, farewell] = await Promise.all([
        signPresence(
          engine,
          this.topic,
          this.seed,
          body(clock, state && { ...state, role: this.role }),
        ),
        signPresence(engine, this.topic, this.seed, body(clock + 1, null)),
      ])
      // A later state may have been signed meanwhile; only the newest is kept.
      if (this.clock === clock + 1) {
        this.latestOwn = state === null ? null : message
        this.farewell = state === null ? null : farewell
      }
      return message
    } catch {
      return null
    }
  }
}
