import * as Y from 'yjs'
import { docUpdates, type DocUpdates } from '../../doc/doc-updates'
import type { PutRejection, ServerMessage, WelcomeMessage } from '../../protocol/always-on'
import { entryId, NO_PARENT, sameBytes, type EntryKind } from '../../protocol/entry'
import type { DocKeys, ReadKeys } from '../../share/keys'
import { openEntry, sealEntry, type OpenedEntry } from './crypto'
import { decodePayload, encodePayload } from './payload'
import { LogPosition } from './log-position'
import { PresenceRelay, type PresenceChannel } from './presence-relay'
import { ServerView } from './server-view'
import { StoreLink, type SocketFactory } from './store-link'
import { movedAtOf } from './tombstone'
import { TombstoneOutbox } from './tombstone-outbox'
import { canWrite } from './write-access'

// One document kept on one always-on peer (rules STORE-1..4, PIN-1..3, RELAY-1..2). It uploads
// this browser's changes as sealed entries, applies what the peer holds and what others put
// there live, compacts the peer's log with snapshots, and relays presence. The peer is never an
// authority: every entry from it is checked against the document's verify key and decrypted
// here; one it cannot prove is dropped and reported.
//
// Uploads go one at a time (the next waits for the acknowledgement, and merges what piled up
// meanwhile), so acknowledgements say exactly which local changes are durable there. A change
// that reached this browser from elsewhere (a WebRTC peer, another always-on peer) is uploaded
// only if this peer still lacks it after a short, jittered pause: normally its author has
// uploaded it by then, and the log does not hold it once per reader.
//
// With read keys only (a view link, rule STORE-13) it is a reader: it receives, verifies, decrypts
// and applies everything, and puts nothing at all (no uploads, snapshots or presence).
//
// A verified tombstone (rules MOVE-1..6) ends it: the document moved to a new link, this peer
// takes nothing more under the old keys, so uploads stop for good and `onMoved` says so once.

export type ReplicatorState = 'connecting' | 'ready' | 'down' | 'outdated' | 'refused' | 'moved'

export interface ReplicatorOptions {
  readonly url: string
  /** DocKeys (an edit link) write; ReadKeys (a view link) only read. */
  readonly keys: ReadKeys | DocKeys
  readonly doc: Y.Doc
  /** This session's signed presence (the gate's), relayed as ephemeral entries. */
  readonly presence: PresenceChannel
  readonly socket: SocketFactory
  readonly maxEntryBytes: number
  readonly onChange: () => void
  /**
   * The peer served a tombstone that verifies against the document's key (MOVE-5): called once,
   * with the tombstone (so that it can be given to other peers) and when the move happened. Not
   * called for a tombstone this replicator put itself (`putTombstone` resolves instead).
   */
  readonly onMoved?: (tombstone: Uint8Array, movedAt: number) => void
  readonly warn: (message: string, error?: unknown) => void
}

interface Upload {
  readonly kind: EntryKind
  readonly update: Uint8Array | null
  readonly mark: number
  readonly covers: number
  readonly id: Uint8Array
  readonly size: number
  readonly attempts: number
}

/** Compaction starts once the updates since the last snapshot exceed half of it, or this. */
export const MIN_COMPACT_BYTES = 8 * 1024
const REMOTE_UPLOAD_DELAY_MS = 1_500

export class StoreReplicator {
  state: ReplicatorState = 'connecting'
  /** Highest local change mark this peer has acknowledged as durable. */
  ackedMark = 0
  /** Entries from the peer that failed verification or decryption (never applied). */
  rejectedEntries = 0
  /** When the document moved to a new link, once a tombstone proved it; else null. */
  movedAt: number | null = null
  /** The write keys; null for a reader, which never puts anything. */
  private readonly writer: DocKeys | null
  private highestMark = 0
  private queue: { update: Uint8Array; mark: number }[] = []
  private remote: Uint8Array[] = []
  private remoteTimer: ReturnType<typeof setTimeout> | null = null
  private readonly pending = new Map<number, Upload>()
  private inFlight: number | null = null
  private compacting: number | null = null
  private nextRequest = 1
  private readonly view = new ServerView()
  private snapshotId: Uint8Array = NO_PARENT
  private snapshotSize = 0
  /** Ids of the entries of the current log (since the snapshot), for replay detection. */
  private knownIds = new Set<string>()
  private sinceSnapshot: { seq: number; size: number }[] = []
  private readonly log = new LogPosition(() => this.link.restart())
  private retryTimer: ReturnType<typeof setTimeout> | null = null
  private flushTimer: ReturnType<typeof setTimeout> | null = null
  private readonly link: StoreLink
  /** Applies what arrives without encoding it again for the document's other listeners. */
  private readonly updates: DocUpdates
  private readonly presence: PresenceRelay
  private readonly tombstones: TombstoneOutbox
  /** The peer refused a put as `moved` once without proof yet (see `rejected`). */
  private movedClaimed = false
  /** This peer holds the tombstone: it served it, or acknowledged ours. */
  private peerHasTombstone = false
  /** The welcome arrived on the current connection: puts may go. */
  private welcomed = false
  /** The link closed for good (a version or topic refusal): nothing more will be sent. */
  private ended = false
  lastRefusal: PutRejection | null = null

  constructor(private readonly options: ReplicatorOptions) {
    this.writer = canWrite(options.keys) ? options.keys : null
    this.updates = docUpdates(options.doc)
    this.link = new StoreLink(options.url, options.socket, {
      open: () => this.hello(),
      message: (message) => this.onMessage(message),
      closed: (reason, fatal) => this.onClosed(reason, fatal),
      malformed: (detail) =>
        options.warn(`An always-on peer sent a frame that does not parse (${detail}).`),
    })
    this.presence = new PresenceRelay({
      presence: options.presence,
      keys: this.writer,
      canSend: () => this.state === 'ready',
      put: (entry) => void this.putEntry('ephemeral', entry),
      onChange: options.onChange,
      warn: options.warn,
    })
    this.tombstones = new TombstoneOutbox((entry) => this.putEntry('tombstone', entry))
  }

  /** False for a reader (view keys): it never puts anything. */
  get canWrite(): boolean {
    return this.writer !== null
  }

  get url(): string {
    return this.options.url
  }

  start(): void {
    this.link.start()
  }

  pause(): void {
    this.link.pause()
  }

  destroy(): void {
    this.link.stop()
    this.presence.destroy()
    this.tombstones.failAll()
    this.log.stop()
    for (const timer of [this.remoteTimer, this.retryTimer, this.flushTimer]) {
      if (timer) clearTimeout(timer)
    }
  }

  /** Presence heard through this peer in the last half minute: people reached by relay. */
  relayedClients(): number[] {
    return this.presence.relayedClients()
  }

  /**
   * Puts a tombstone sealed with this document's write key (MOVE-2): resolves true once this peer
   * has acknowledged it (now or before), false when it refuses it, when this is a reader, or when
   * the replicator is destroyed first. Uploads stop once the document is known to have moved.
   */
  putTombstone(tombstone: Uint8Array, movedAt: number): Promise<boolean> {
    if (this.writer === null || this.ended) return Promise.resolve(false)
    if (this.peerHasTombstone) return Promise.resolve(true)
    const stored = this.tombstones.add(tombstone, movedAt)
    // Proven (sealed here, or verified from a peer): the old link takes nothing more from now.
    this.moved(movedAt)
    if (this.welcomed) this.tombstones.sendAll()
    return stored
  }

  /** A change made in this browser, numbered by the group. */
  offerLocal(update: Uint8Array, mark: number): void {
    // A reader has nothing to upload; what it changes stays in its own copy.
    if (!this.uploading) return
    this.highestMark = Math.max(this.highestMark, mark)
    this.queue.push({ update, mark })
    // Sealing (encrypt and sign) is kept off the keystroke: it runs after the editor's update,
    // and keystrokes typed meanwhile ride in the same entry.
    if (this.flushTimer === null) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null
        this.flush()
      }, 0)
    }
  }

  /** A change that reached this browser from elsewhere. */
  offerRemote(update: Uint8Array): void {
    if (!this.uploading) return
    this.remote.push(update)
    if (this.remoteTimer) return
    const delay = REMOTE_UPLOAD_DELAY_MS * (1 + Math.random())
    this.remoteTimer = setTimeout(() => {
      this.remoteTimer = null
      const missing = this.remote.filter((update) => !this.view.contains(update))
      this.remote = []
      for (const update of missing) this.queue.push({ update, mark: 0 })
      this.flush()
    }, delay)
  }

  private hello(): void {
    this.link.send({
      type: 'hello',
      topic: this.options.keys.storeTopic,
      verifyKey: this.options.keys.verifyKey,
      haveSnapshot: this.snapshotId === NO_PARENT ? new Uint8Array(0) : this.snapshotId,
      since: this.log.watermark,
    })
  }

  /** Editors upload until the document moves; readers never do. */
  private get uploading(): boolean {
    return this.writer !== null && this.movedAt === null
  }

  private setState(state: ReplicatorState): void {
    // Moving is for good: reconnects and refusals after it change nothing.
    if (this.state === state || this.state === 'moved') return
    this.state = state
    this.options.onChange()
  }

  private onClosed(reason: string | undefined, fatal: boolean): void {
    // Whatever was in flight is unacknowledged: the welcome after reconnecting uploads what the
    // peer lacks, so nothing needs resending by hand.
    this.pending.clear()
    this.inFlight = null
    this.compacting = null
    this.welcomed = false
    this.tombstones.lost()
    if (fatal) {
      this.ended = true
      this.tombstones.failAll()
    }
    if (reason === 'unsupported-version') this.setState('outdated')
    else if (fatal) this.setState('refused')
    else this.setState('down')
  }

  private onMessage(message: ServerMessage): void {
    switch (message.type) {
      case 'welcome':
        this.welcome(message)
        return
      case 'entry':
        this.receive(message.seq, message.entry)
        return
      case 'ephemeral': {
        const entry = this.open(message.entry)
        if (entry) this.presence.receive(entry)
        return
      }
      case 'ack':
        this.acked(message.requestId, message.seq)
        return
      case 'reject':
        this.rejected(message.requestId, message.reason, message.detail)
        return
    }
  }

  private open(bytes: Uint8Array): OpenedEntry | null {
    const opened = openEntry(this.options.keys, bytes, Number.MAX_SAFE_INTEGER)
    if (opened.ok) return opened.value
    this.rejectedEntries += 1
    this.options.warn(
      `Dropped an entry from an always-on peer: ${opened.reason} (${opened.detail}).`,
    )
    return null
  }

  /**
   * Applies a stored entry's content. Live entries must also fit the log as this browser knows
   * it: an update on the current snapshot, a snapshot on the current one, an id not seen before.
   * A genuine old entry replayed under a new sequence number (by anyone who can inject frames)
   * would otherwise make this browser skip the real entry of that number. Returns false for an
   * entry that was dropped.
   */
  private apply(seq: number, bytes: Uint8Array, live = false): boolean {
    const entry = this.open(bytes)
    // A tombstone builds on nothing and ends the log: it never has to fit it.
    if (entry?.kind === 'tombstone') return this.tombstoneArrived(entry, bytes)
    if (entry && live) {
      const known = this.knownIds.has(idKey(entry.id))
      if (known || !sameBytes(entry.parent, this.snapshotId)) {
        this.rejectedEntries += 1
        this.options.warn('Dropped a live entry from an always-on peer that does not fit the log.')
        return false
      }
    }
    if (entry) this.knownIds.add(idKey(entry.id))
    const payload = entry ? decodePayload(entry.payload) : null
    if (entry && payload === null) {
      this.rejectedEntries += 1
      this.options.warn('Dropped an entry from an always-on peer: unknown content.')
    }
    if (entry && payload) {
      try {
        if (entry.kind === 'snapshot' && payload.type === 'state-v2') {
          const update = Y.convertUpdateFormatV2ToV1(payload.update)
          this.updates.applyReceived(update, this)
          this.view.add(update)
          this.adoptSnapshot(entry.id, entry.size, entry.covers)
        } else if (entry.kind === 'update' && payload.type === 'update-v1') {
          this.updates.applyReceived(payload.update, this)
          this.view.add(payload.update)
          this.sinceSnapshot.push({ seq, size: entry.size })
        } else {
          this.rejectedEntries += 1
        }
      } catch (error) {
        this.rejectedEntries += 1
        this.options.warn(
          'Dropped an entry from an always-on peer: its update does not apply.',
          error,
        )
      }
    }
    return entry !== null
  }

  /** A verified tombstone from the peer (MOVE-5). False when its content is not a move. */
  private tombstoneArrived(entry: OpenedEntry, bytes: Uint8Array): boolean {
    const movedAt = movedAtOf(entry)
    if (movedAt === null) {
      this.rejectedEntries += 1
      this.options.warn('Dropped a tombstone from an always-on peer: unknown content.')
      return false
    }
    this.peerHasTombstone = true
    if (this.movedAt !== null) {
      this.stopWhenSettled()
      return true
    }
    this.moved(movedAt)
    this.options.onMoved?.(bytes, movedAt)
    return true
  }

  /** The document moved: nothing more goes to this peer under the old keys but the tombstone. */
  private moved(movedAt: number): void {
    if (this.movedAt !== null) return
    this.movedAt = movedAt
    this.queue = []
    this.remote = []
    for (const timer of [this.remoteTimer, this.retryTimer, this.flushTimer]) {
      if (timer) clearTimeout(timer)
    }
    this.remoteTimer = this.retryTimer = this.flushTimer = null
    this.setState('moved')
    this.options.onChange()
    this.stopWhenSettled()
  }

  /** A moved document's peer has nothing more to say: close once no tombstone waits for it. */
  private stopWhenSettled(): void {
    if (this.movedAt !== null && !this.tombstones.pending) this.link.stop()
  }

  private adoptSnapshot(id: Uint8Array, size: number, covers: number): void {
    this.snapshotId = id
    this.snapshotSize = size
    this.sinceSnapshot = this.sinceSnapshot.filter((item) => item.seq > covers)
    this.knownIds = new Set([idKey(id)])
  }

  private welcome(message: WelcomeMessage): void {
    if (message.snapshot) {
      this.view.reset()
      this.sinceSnapshot = []
      this.snapshotId = NO_PARENT
      this.knownIds = new Set()
      this.apply(message.snapshot.seq, message.snapshot.entry)
    }
    for (const item of message.updates) this.apply(item.seq, item.entry)
    this.log.reset(message.head)
    // Everything offered so far is in the document; upload in one entry what the peer lacks.
    this.queue = []
    this.remote = []
    this.setState('ready')
    // A tombstone in this welcome may have closed the link already (nothing more to say).
    this.welcomed = this.link.isOpen
    this.tombstones.sendAll()
    if (this.uploading) {
      const missing = this.view.missingFrom(this.options.doc)
      if (missing) this.send('update', missing, this.highestMark)
      else this.ackedMark = this.highestMark
    }
    this.options.onChange()
    this.presence.send()
    this.maybeCompact()
  }

  private receive(seq: number, bytes: Uint8Array): void {
    if (this.log.holds(seq)) return
    if (!this.apply(seq, bytes, true)) return
    this.log.note(seq)
    this.maybeCompact()
  }

  private flush(): void {
    if (!this.uploading) return
    if (this.state !== 'ready' || this.inFlight !== null || this.queue.length === 0) return
    // While this browser's own snapshot is on its way, an update built on the old one would be
    // refused as stale: it waits for the snapshot's answer instead.
    if (this.compacting !== null) return
    const batch = this.queue
    this.queue = []
    const update =
      batch.length === 1 ? batch[0]!.update : Y.mergeUpdates(batch.map((item) => item.update))
    const mark = Math.max(...batch.map((item) => item.mark))
    this.send('update', update, mark)
  }

  private send(
    kind: 'update' | 'snapshot',
    update: Uint8Array | null,
    mark: number,
    attempts = 0,
  ): void {
    const keys = this.writer
    if (keys === null || this.movedAt !== null) return
    const covers = kind === 'snapshot' ? this.log.watermark : 0
    const payload =
      kind === 'snapshot'
        ? encodePayload({ type: 'state-v2', update: Y.encodeStateAsUpdateV2(this.options.doc) })
        : encodePayload({ type: 'update-v1', update: update! })
    const entry = sealEntry(keys, { kind, parent: this.snapshotId, covers }, payload)
    if (entry.length > this.options.maxEntryBytes) {
      if (kind === 'update') this.refuse('entry-too-large')
      return
    }
    const requestId = this.nextRequest++
    this.pending.set(requestId, {
      kind,
      update,
      mark,
      covers,
      id: entryId(entry),
      size: entry.length,
      attempts,
    })
    if (kind === 'update') this.inFlight = requestId
    else this.compacting = requestId
    this.link.send({ type: 'put', requestId, entry })
    this.options.onChange()
  }

  /** Sends a put that waits for no particular order (presence, tombstones); its request id. */
  private putEntry(kind: 'ephemeral' | 'tombstone', entry: Uint8Array): number | null {
    if (this.writer === null) return null
    const requestId = this.nextRequest++
    if (!this.link.send({ type: 'put', requestId, entry })) return null
    this.pending.set(requestId, {
      kind,
      update: null,
      mark: 0,
      covers: 0,
      id: NO_PARENT,
      size: entry.length,
      attempts: 0,
    })
    return requestId
  }

  private acked(requestId: number, seq: number): void {
    const tombstone = this.tombstones.acked(requestId)
    if (tombstone) {
      this.pending.delete(requestId)
      // Stored now, or someone ended the topic before (a duplicate is acknowledged too).
      this.peerHasTombstone = true
      this.moved(tombstone.movedAt)
      this.stopWhenSettled()
      return
    }
    const upload = this.pending.get(requestId)
    if (!upload) return
    this.pending.delete(requestId)
    if (upload.kind === 'update') {
      this.inFlight = null
      if (upload.update) this.view.add(upload.update)
      this.ackedMark = Math.max(this.ackedMark, upload.mark)
      this.sinceSnapshot.push({ seq, size: upload.size })
    } else if (upload.kind === 'snapshot') {
      this.compacting = null
      this.adoptSnapshot(upload.id, upload.size, upload.covers)
    }
    if (upload.kind === 'update') this.knownIds.add(idKey(upload.id))
    if (upload.kind !== 'ephemeral') this.log.note(seq)
    this.lastRefusal = null
    this.options.onChange()
    this.flush()
    this.maybeCompact()
  }

  private rejected(requestId: number, reason: PutRejection, detail: string): void {
    if (this.tombstones.rejected(requestId, reason)) {
      this.pending.delete(requestId)
      if (reason !== 'rate-limited' && reason !== 'storage-error') {
        this.options.warn(`An always-on peer refused the tombstone: ${reason} (${detail}).`)
      }
      this.stopWhenSettled()
      return
    }
    const upload = this.pending.get(requestId)
    if (!upload) return
    this.pending.delete(requestId)
    if (upload.kind === 'ephemeral' || upload.kind === 'tombstone') return
    if (upload.kind === 'snapshot') {
      // Someone else compacted first, or the log moved on: the next trigger tries again.
      this.compacting = null
      this.flush()
      return
    }
    this.inFlight = null
    const retry = (delay: number): void => {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null
        if (this.state !== 'ready' || this.inFlight !== null) return
        // Re-sealed on the current snapshot; anything queued meanwhile rides along.
        const queued = this.queue
        this.queue = []
        const update = upload.update!
        const merged =
          queued.length === 0
            ? update
            : Y.mergeUpdates([update, ...queued.map((item) => item.update)])
        const mark = Math.max(upload.mark, ...queued.map((item) => item.mark))
        this.send('update', merged, mark, upload.attempts + 1)
      }, delay)
    }
    switch (reason) {
      case 'stale-parent':
        // A snapshot landed that this browser has not heard of yet; it is on its way.
        if (upload.attempts >= 4) this.link.restart()
        else retry(150 * (upload.attempts + 1))
        return
      case 'rate-limited':
        retry(1_000)
        return
      case 'storage-error':
        retry(2_000 * (upload.attempts + 1))
        return
      case 'moved':
        // The peer's word is no proof (MOVE-5): a peer that lies must not tell the user the
        // document moved. An honest one serves the tombstone in every welcome, so reconnect to
        // fetch it; a second refusal without it is an ordinary refusal.
        if (this.movedAt !== null) return
        if (!this.movedClaimed) {
          this.movedClaimed = true
          this.link.restart()
          return
        }
        this.options.warn(`An always-on peer refused this document's changes: moved (${detail}).`)
        this.refuse(reason)
        return
      default:
        this.options.warn(
          `An always-on peer refused this document's changes: ${reason} (${detail}).`,
        )
        this.refuse(reason)
    }
  }

  private refuse(reason: PutRejection): void {
    this.lastRefusal = reason
    this.setState('refused')
    this.options.onChange()
  }

  private maybeCompact(): void {
    if (!this.uploading) return
    if (this.state !== 'ready' || this.compacting !== null || this.inFlight !== null) return
    if (this.log.hasGap) return
    const since = this.sinceSnapshot.reduce((sum, item) => sum + item.size, 0)
    if (since <= Math.max(MIN_COMPACT_BYTES, this.snapshotSize / 2)) return
    this.send('snapshot', null, 0)
  }
}

function idKey(id: Uint8Array): string {
  let key = ''
  for (const byte of id) key += byte.toString(16).padStart(2, '0')
  return key
}
