import { toHexString } from 'lib0/buffer'
import * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'
import { entryId, NO_PARENT } from '../../protocol/entry'
import type { DocKeys, ReadKeys } from '../../share/keys'
import { decodePayload, encodePayload, type Payload } from '../always-on/payload'
import { canDeflate, deflate, inflate } from './deflate'
import type { OpenResult } from '../always-on/crypto'
import { movedAtOf } from '../always-on/tombstone'
import type { AsyncEd25519 } from './ed25519'
import { docUpdates, type Applied, type DocUpdates } from '../../doc/doc-updates'
import { EntryLog } from './entry-log'
import { decodeGateMessage, encodeGateMessage, type GateMessage } from './messages'
import { Presence } from './presence'
import { openEntryAsync, sealEntryAsync } from './seal'
import {
  covered,
  grownSpan,
  raise,
  stateVectorOf,
  vectorBefore,
  type Span,
  type Vector,
} from './span'

// The gate between a document and its peers (rules GATE-1..8). Every change that crosses it is a
// sealed entry signed with the document's write key, checked before it touches the document, by
// every peer, whoever handed it on: the author, a reader relaying it, another tab. A peer with a
// view link holds the verify key and the read key but not the write key, so whatever its client
// is made to send, no honest peer applies it. A proof per connection would not be enough: in a
// partial mesh changes arrive through relays, so the proof travels with the change itself.
//
// Sync on a new link: each side says what it has (`want`, a state vector); an editor answers
// with a freshly signed diff, a reader with the signed entries it kept (EntryLog). Live: an
// editor seals each local change (several while a signature is in flight become one) and sends
// it to every link; whoever applies an entry that told it something new hands it on unchanged
// to links that may lack it, as y-webrtc did with unsigned updates. An entry's update is applied
// through the document's update hub (GATE-8): the store gets the bytes that arrived, and what
// they added is read from the state vector (span.ts), so a book is decoded once, not three times.

export interface GateLink {
  /** For warnings only. */
  readonly label: string
  /**
   * One link to many peers that came and went before it opened (other tabs): its `want` asks
   * them to answer with theirs. A WebRTC link opens on both sides at once and needs no asking.
   */
  readonly shared?: boolean
  send(bytes: Uint8Array): void
}

export interface GateOptions {
  readonly doc: Y.Doc
  readonly awareness: Awareness
  readonly keys: ReadKeys | DocKeys
  readonly engine: AsyncEd25519
  readonly warn: (message: string, error?: unknown) => void
  /** Called once when a tombstone signed with this document's write key arrives. */
  readonly onMoved?: () => void
  /** The largest entry accepted from a peer; the chunked transport carries any size. */
  readonly maxEntryBytes?: number
  readonly now?: () => number
  /** Whether the first entry received marks the page's timeline (FIRST_ENTRY_MARK); default yes. */
  readonly markFirstEntry?: boolean
}

export interface GateStats {
  /** Entries refused: bad signature, undecryptable, malformed, unknown payload. */
  rejectedEntries: number
  rejectedPresence: number
  malformedMessages: number
  appliedEntries: number
  signedEntries: number
}

const DEFAULT_MAX_ENTRY_BYTES = 256 * 1024 * 1024
/** Entry ids remembered to drop copies that arrive by several paths. */
const SEEN_LIMIT = 20_000

interface LinkState {
  /** What the link has, as far as we know: its `want`, plus what we sent it and it sent us. */
  readonly stateVector: Vector
  warned: boolean
}

/** Pending updates merged one by one up to this many; beyond, one diff since the batch began. */
const MERGE_LIMIT = 64

/** Entries from this size are hashed by WebCrypto (asynchronously) rather than in JavaScript. */
const NATIVE_HASH_FROM = 64 * 1024

/** `entryId` as hex, computed by WebCrypto when it is there. */
async function nativeEntryId(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle
  if (subtle === undefined) return toHexString(entryId(bytes))
  const digest = await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)
  return toHexString(new Uint8Array(digest))
}

/**
 * `entryId` as hex: at once in JavaScript for a small entry; for a large one (a whole document
 * for a new peer) by WebCrypto, ~10x faster (2 MB: ~120 ms in JavaScript) but asynchronous.
 */
function hexEntryId(bytes: Uint8Array): string | Promise<string> {
  return bytes.byteLength < NATIVE_HASH_FROM ? toHexString(entryId(bytes)) : nativeEntryId(bytes)
}

/** Updates from this size are sent compressed (GATE-7). */
export const DEFLATE_FROM = 64 * 1024

/** A large update deflated when that makes it smaller; any other as it is. */
async function payloadOf(update: Uint8Array): Promise<Payload> {
  if (update.byteLength >= DEFLATE_FROM && canDeflate()) {
    const deflated = await deflate(update)
    if (deflated.byteLength < update.byteLength)
      return { type: 'update-v1-deflate', size: update.byteLength, deflated }
  }
  return { type: 'update-v1', update }
}

/** A performance mark made when the first entry arrives from a peer. */
export const FIRST_ENTRY_MARK = 'meshpad:first-entry'

export class Gate {
  readonly presence: Presence
  readonly stats: GateStats = {
    rejectedEntries: 0,
    rejectedPresence: 0,
    malformedMessages: 0,
    appliedEntries: 0,
    signedEntries: 0,
  }
  private readonly links = new Map<GateLink, LinkState>()
  private readonly seen = new Set<string>()
  private readonly log: EntryLog | null
  private readonly signer: DocKeys | null
  private applyChain: Promise<void> = Promise.resolve()
  private pending: Uint8Array[] = []
  /** The state vector before the first pending update (for batches too long to merge). */
  private batchStart: Vector | null = null
  private sealing = false
  private tombstone: Uint8Array | null = null
  private warnedReadOnly = false
  private destroyed = false
  private entryArrived = false
  private readonly updates: DocUpdates
  /** Stops onUpdate, while it is subscribed (followLinks). */
  private stopListening: (() => void) | null = null

  constructor(private readonly options: GateOptions) {
    const keys = options.keys
    this.signer = 'signingKey' in keys ? keys : null
    this.log = this.signer ? null : new EntryLog()
    this.updates = docUpdates(options.doc)
    this.presence = new Presence({
      awareness: options.awareness,
      keys,
      engine: options.engine,
      publish: (message) => this.sendAll({ type: 'presence', presence: message }),
      ...(options.now ? { now: options.now } : {}),
    })
  }

  /**
   * Listens to the document's updates only while there is a link: Yjs encodes every transaction
   * for its 'update' listeners, and alone there is no one to send one to (a link opened later
   * asks with `want`). So opening a stored document does not encode all of it once more.
   */
  private followLinks(): void {
    const listen = this.links.size > 0 && !this.destroyed
    if (listen === (this.stopListening !== null)) return
    if (listen) this.stopListening = this.updates.subscribe(this.onUpdate)
    else {
      this.stopListening?.()
      this.stopListening = null
    }
  }

  get canWrite(): boolean {
    return this.signer !== null
  }

  get moved(): boolean {
    return this.tombstone !== null
  }

  /**
   * A link came up: say what we have and who we are. A shared link (other tabs) is only greeted
   * (asking whoever is there to answer) and counts as a link once an answer arrives.
   */
  open(link: GateLink): void {
    if (this.destroyed || this.links.has(link)) return
    if (link.shared === true) {
      this.introduce(link, true)
      return
    }
    this.links.set(link, { stateVector: new Map(), warned: false })
    this.followLinks()
    this.introduce(link, false)
  }

  /** Our state vector, our presence and the others' we know, and the tombstone if any. */
  private introduce(link: GateLink, ask: boolean): void {
    const stateVector = Y.encodeStateVector(this.options.doc)
    this.send(link, { type: 'want', ask, stateVector })
    for (const presence of this.presence.known()) this.send(link, { type: 'presence', presence })
    if (this.tombstone) this.send(link, { type: 'entries', entries: [this.tombstone] })
  }

  close(link: GateLink): void {
    this.links.delete(link)
    this.followLinks()
  }

  receive(link: GateLink, bytes: Uint8Array): void {
    if (this.destroyed) return
    // A shared link (other tabs) counts once someone answers on it: alone, nothing is signed.
    if (link.shared === true && !this.links.has(link)) {
      this.links.set(link, { stateVector: new Map(), warned: false })
      this.followLinks()
    }
    const state = this.links.get(link)
    if (!state) return
    const decoded = decodeGateMessage(bytes)
    if (!decoded.ok) {
      if (decoded.reason === 'malformed-gate-message') {
        this.stats.malformedMessages += 1
        this.warnOnce(link, state, `a malformed message (${decoded.detail})`)
      }
      return
    }
    const message = decoded.message
    if (message.type === 'want') {
      this.answer(link, state, message.stateVector)
      if (message.ask) this.introduce(link, false)
    } else if (message.type === 'presence') this.receivePresence(link, message.presence)
    else for (const entry of message.entries) this.accept(link, state, entry)
  }

  /** Sends an entry this peer made elsewhere (e.g. a tombstone) to every link and keeps it. */
  broadcastEntry(bytes: Uint8Array): void {
    this.seen.add(toHexString(entryId(bytes)))
    this.sendAll({ type: 'entries', entries: [bytes] })
  }

  destroy(): void {
    if (this.destroyed) return
    this.presence.leave()
    this.destroyed = true
    this.presence.destroy()
    this.links.clear()
    this.followLinks()
  }

  private send(link: GateLink, message: GateMessage): void {
    try {
      link.send(encodeGateMessage(message))
    } catch (error) {
      this.options.warn(`Could not send to ${link.label}.`, error)
    }
  }

  private sendAll(message: GateMessage): void {
    if (this.destroyed) return
    const bytes = encodeGateMessage(message)
    for (const link of this.links.keys()) {
      try {
        link.send(bytes)
      } catch (error) {
        this.options.warn(`Could not send to ${link.label}.`, error)
      }
    }
  }

  private warnOnce(link: GateLink, state: LinkState, what: string): void {
    if (state.warned) return
    state.warned = true
    this.options.warn(`${link.label} sent ${what}; it was not applied (rule GATE-1).`)
  }

  private answer(link: GateLink, state: LinkState, encoded: Uint8Array): void {
    let theirs: Map<number, number>
    try {
      theirs = Y.decodeStateVector(encoded)
    } catch {
      this.stats.malformedMessages += 1
      this.warnOnce(link, state, 'an unreadable state vector')
      return
    }
    raise(state.stateVector, { from: new Map(), to: theirs })
    if (this.log) {
      const entries = this.log.missing(theirs)
      if (entries.length > 0) this.send(link, { type: 'entries', entries })
      return
    }
    const diff = Y.encodeStateAsUpdate(this.options.doc, encoded)
    // [0, 0]: no structs, no deletions; nothing to sign.
    if (diff.length <= 2) return
    void this.seal(diff).then((entry) => {
      if (entry && this.links.has(link)) this.send(link, { type: 'entries', entries: [entry] })
    })
  }

  private receivePresence(from: GateLink, bytes: Uint8Array): void {
    void this.presence.receive(bytes).then(({ verdict }) => {
      if (verdict === 'rejected') {
        this.stats.rejectedPresence += 1
        const state = this.links.get(from)
        if (state) this.warnOnce(from, state, 'a presence message that does not verify')
      }
      if (verdict !== 'applied' || this.destroyed) return
      const message = encodeGateMessage({ type: 'presence', presence: bytes })
      for (const link of this.links.keys()) if (link !== from) link.send(message)
    })
  }

  private accept(link: GateLink, state: LinkState, bytes: Uint8Array): void {
    if (!this.entryArrived) {
      this.entryArrived = true
      // The moment a new peer first holds data of the document (bench/scale.ts measures the
      // first screen from it); one mark per open document, so the timeline does not grow.
      if (this.options.markFirstEntry !== false) performance.mark(FIRST_ENTRY_MARK)
    }
    const open = (): Promise<OpenResult> =>
      openEntryAsync(this.options.engine, this.options.keys, bytes, this.maxEntryBytes)
    const fail = (error: unknown): void =>
      this.options.warn('Applying a peer’s change failed.', error)
    const id = hexEntryId(bytes)
    if (typeof id === 'string') {
      if (this.seen.has(id)) return
      this.remember(id)
      const opening = open()
      // Verified in parallel, applied in the order they arrived.
      this.applyChain = this.applyChain
        .then(async () => this.apply(link, state, bytes, await opening))
        .catch(fail)
      return
    }
    // Hashed asynchronously: checked against `seen` in arrival order, inside the chain.
    this.applyChain = this.applyChain
      .then(async () => {
        const hashed = await id
        if (this.seen.has(hashed)) return
        this.remember(hashed)
        await this.apply(link, state, bytes, await open())
      })
      .catch(fail)
  }

  private get maxEntryBytes(): number {
    return this.options.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES
  }

  private remember(id: string): void {
    if (this.seen.size >= SEEN_LIMIT) {
      const [oldest] = this.seen
      if (oldest !== undefined) this.seen.delete(oldest)
    }
    this.seen.add(id)
  }

  private async apply(
    link: GateLink,
    state: LinkState,
    bytes: Uint8Array,
    opened: OpenResult,
  ): Promise<void> {
    if (this.destroyed) return
    if (!opened.ok) {
      this.stats.rejectedEntries += 1
      this.warnOnce(link, state, `an entry that fails verification (${opened.reason})`)
      return
    }
    if (opened.value.kind === 'tombstone') {
      // Signed by the write key and decrypting to `moved` (MOVE-5, MOVE-8), or dropped.
      if (movedAtOf(opened.value) === null) {
        this.stats.rejectedEntries += 1
        this.warnOnce(link, state, 'a tombstone without a move in it')
      } else this.onTombstone(bytes)
      return
    }
    const payload = decodePayload(opened.value.payload)
    if (
      payload === null ||
      (payload.type !== 'update-v1' &&
        payload.type !== 'state-v2' &&
        payload.type !== 'update-v1-deflate')
    ) {
      this.stats.rejectedEntries += 1
      this.warnOnce(link, state, 'an entry with content this version does not know')
      return
    }
    let update: Uint8Array
    if (payload.type === 'update-v1-deflate') {
      // Any editor can sign one (THREAT-13): inflated no further than it declares, which may be
      // no more than an entry itself may be.
      const inflated =
        payload.size <= this.maxEntryBytes ? await inflate(payload.deflated, payload.size) : null
      if (this.destroyed) return
      if (inflated === null) {
        this.stats.rejectedEntries += 1
        this.warnOnce(link, state, 'a compressed update that does not inflate to its stated size')
        return
      }
      update = inflated
    } else {
      update =
        payload.type === 'update-v1' ? payload.update : Y.convertUpdateFormatV2ToV1(payload.update)
    }
    const doc = this.options.doc
    const before = stateVectorOf(doc)
    let applied: Applied
    try {
      // Without encoding the change again for the store and the others: they get these bytes.
      applied = this.updates.applyReceived(update, this)
    } catch (error) {
      this.stats.rejectedEntries += 1
      this.warnOnce(link, state, 'a signed entry whose update does not apply')
      this.options.warn('A signed update did not apply.', error)
      return
    }
    this.stats.appliedEntries += 1
    // With nothing pending, what the update added is what the state vector grew by; otherwise
    // it may have waited or released older structs, and only its own structs tell.
    const parse = applied.pending
    const span = parse ? Y.parseUpdateMeta(update) : grownSpan(before, stateVectorOf(doc))
    // An entry that arrived ahead of one it builds on waits inside Yjs (no change yet), but it
    // is news all the same and must be handed on.
    const ahead = parse && !covered(before, span.to)
    raise(state.stateVector, span)
    if (!applied.changed && !ahead) return
    if (parse) this.log?.add(bytes, update)
    else this.log?.addKnown(bytes, span.to, applied.deleted)
    this.forward(link, bytes, span)
  }

  private forward(from: GateLink, bytes: Uint8Array, span: Span): void {
    const message = encodeGateMessage({ type: 'entries', entries: [bytes] })
    for (const [link, state] of this.links) {
      if (link === from || covered(state.stateVector, span.to)) continue
      raise(state.stateVector, span)
      link.send(message)
    }
  }

  private onTombstone(bytes: Uint8Array): void {
    if (this.tombstone) return
    this.tombstone = bytes
    this.sendAll({ type: 'entries', entries: [bytes] })
    this.options.onMoved?.()
  }

  private readonly onUpdate = (update: Uint8Array, origin: unknown): void => {
    // What this gate applied is handed on by forward().
    if (origin === this) return
    if (!this.signer) {
      if (!this.warnedReadOnly) {
        this.warnedReadOnly = true
        this.options.warn('This is a view link: changes made here are not sent to anyone.')
      }
      return
    }
    // Alone, nothing is signed: whoever connects later asks with `want` and gets one diff.
    if (this.tombstone || this.links.size === 0) return
    if (this.pending.length === 0) this.batchStart = vectorBefore(this.options.doc, update)
    this.pending.push(update)
    if (!this.sealing) void this.flush()
  }

  /** Seals what piled up, one signature at a time, and sends it to every link in order. */
  private async flush(): Promise<void> {
    this.sealing = true
    while (this.pending.length > 0 && !this.destroyed) {
      const updates = this.pending
      const since = this.batchStart
      this.pending = []
      this.batchStart = null
      // Typing piles up a few updates while a signature is in flight; a bulk change (a paste, a
      // replayed history) piles up thousands, which one diff since the batch began covers in
      // one pass where merging them would take far longer.
      const update =
        updates.length === 1
          ? (updates[0] as Uint8Array)
          : updates.length <= MERGE_LIMIT || since === null
            ? Y.mergeUpdates(updates)
            : Y.encodeStateAsUpdate(this.options.doc, Y.encodeStateVector(since))
      const entry = await this.seal(update)
      if (!entry) continue
      const span = Y.parseUpdateMeta(update)
      const message = encodeGateMessage({ type: 'entries', entries: [entry] })
      for (const [link, state] of this.links) {
        raise(state.stateVector, span)
        link.send(message)
      }
    }
    this.sealing = false
  }

  private async seal(update: Uint8Array): Promise<Uint8Array | null> {
    if (!this.signer) return null
    try {
      const entry = await sealEntryAsync(
        this.options.engine,
        this.signer,
        { kind: 'update', parent: NO_PARENT, covers: 0 },
        encodePayload(await payloadOf(update)),
      )
      this.stats.signedEntries += 1
      // Our own entry is not news when it comes back. A large one is remembered once hashed:
      // until then an echo of it would be applied once more, changing nothing.
      const id = hexEntryId(entry)
      if (typeof id === 'string') this.remember(id)
      else void id.then((hashed) => this.remember(hashed))
      return entry
    } catch (error) {
      this.options.warn('Signing a change failed; it was not sent.', error)
      return null
    }
  }
}
