import * as Y from 'yjs'
import { applyAwarenessUpdate, encodeAwarenessUpdate, type Awareness } from 'y-protocols/awareness'
import type { PutRejection, ServerMessage, WelcomeMessage } from '../../protocol/always-on'
import { entryId, NO_PARENT, sameBytes, type EntryKind } from '../../protocol/entry'
import type { DocKeys } from '../../share/keys'
import { openEntry, sealEntry, type OpenedEntry } from './crypto'
import { decodePayload, encodePayload } from './payload'
import { ServerView } from './server-view'
import { StoreLink, type SocketFactory } from './store-link'

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

export type ReplicatorState = 'connecting' | 'ready' | 'down' | 'outdated' | 'refused'

export interface ReplicatorOptions {
  readonly url: string
  readonly keys: DocKeys
  readonly doc: Y.Doc
  readonly awareness: Awareness
  readonly socket: SocketFactory
  readonly maxEntryBytes: number
  readonly onChange: () => void
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
const GAP_RESYNC_MS = 3_000
const AWARENESS_THROTTLE_MS = 100
const AWARENESS_RENEW_MS = 15_000
const AWARENESS_MAX_AGE_MS = 60_000
const RELAYED_FRESH_MS = 35_000

export class StoreReplicator {
  state: ReplicatorState = 'connecting'
  /** Highest local change mark this peer has acknowledged as durable. */
  ackedMark = 0
  /** Entries from the peer that failed verification or decryption (never applied). */
  rejectedEntries = 0
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
  private watermark = 0
  private readonly ahead = new Set<number>()
  private gapTimer: ReturnType<typeof setTimeout> | null = null
  private retryTimer: ReturnType<typeof setTimeout> | null = null
  private flushTimer: ReturnType<typeof setTimeout> | null = null
  private awarenessTimer: ReturnType<typeof setTimeout> | null = null
  private readonly renewTimer: ReturnType<typeof setInterval>
  private readonly relayed = new Map<number, number>()
  private readonly link: StoreLink
  lastRefusal: PutRejection | null = null

  constructor(private readonly options: ReplicatorOptions) {
    this.link = new StoreLink(options.url, options.socket, {
      open: () => this.hello(),
      message: (message) => this.onMessage(message),
      closed: (reason, fatal) => this.onClosed(reason, fatal),
      malformed: (detail) =>
        options.warn(`An always-on peer sent a frame that does not parse (${detail}).`),
    })
    options.awareness.on('update', this.onAwareness)
    this.renewTimer = setInterval(() => {
      if (this.options.awareness.getLocalState() !== null) this.sendAwareness()
    }, AWARENESS_RENEW_MS)
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
    this.options.awareness.off('update', this.onAwareness)
    clearInterval(this.renewTimer)
    const timers = [
      this.remoteTimer,
      this.gapTimer,
      this.retryTimer,
      this.awarenessTimer,
      this.flushTimer,
    ]
    for (const timer of timers) {
      if (timer) clearTimeout(timer)
    }
  }

  /** Presence heard through this peer in the last half minute: people reached by relay. */
  relayedClients(): number[] {
    const now = Date.now()
    const states = this.options.awareness.getStates()
    return [...this.relayed]
      .filter(
        ([id, seen]) =>
          now - seen < RELAYED_FRESH_MS && states.has(id) && id !== this.options.doc.clientID,
      )
      .map(([id]) => id)
  }

  /** A change made in this browser, numbered by the group. */
  offerLocal(update: Uint8Array, mark: number): void {
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
      since: this.watermark,
    })
  }

  private setState(state: ReplicatorState): void {
    if (this.state === state) return
    this.state = state
    this.options.onChange()
  }

  private onClosed(reason: string | undefined, fatal: boolean): void {
    // Whatever was in flight is unacknowledged: the welcome after reconnecting uploads what the
    // peer lacks, so nothing needs resending by hand.
    this.pending.clear()
    this.inFlight = null
    this.compacting = null
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
      case 'ephemeral':
        this.receiveEphemeral(message.entry)
        return
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

  /** Applies a stored entry's content; false when it cannot be proven or read. */
  /**
   * Applies a stored entry's content. Live entries must also fit the log as this browser knows
   * it: an update on the current snapshot, a snapshot on the current one, an id not seen before.
   * A genuine old entry replayed under a new sequence number (by anyone who can inject frames)
   * would otherwise make this browser skip the real entry of that number. Returns false for an
   * entry that was dropped.
   */
  private apply(seq: number, bytes: Uint8Array, live = false): boolean {
    const entry = this.open(bytes)
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
          Y.applyUpdateV2(this.options.doc, payload.update, this)
          this.view.add(Y.convertUpdateFormatV2ToV1(payload.update))
          this.adoptSnapshot(entry.id, entry.size, entry.covers)
        } else if (entry.kind === 'update' && payload.type === 'update-v1') {
          Y.applyUpdate(this.options.doc, payload.update, this)
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
    this.watermark = message.head
    this.ahead.clear()
    // Everything offered so far is in the document; upload in one entry what the peer lacks.
    this.queue = []
    this.remote = []
    this.setState('ready')
    const missing = this.view.missingFrom(this.options.doc)
    if (missing) this.send('update', missing, this.highestMark)
    else this.ackedMark = this.highestMark
    this.options.onChange()
    this.sendAwareness()
    this.maybeCompact()
  }

  private receive(seq: number, bytes: Uint8Array): void {
    if (seq <= this.watermark || this.ahead.has(seq)) return
    if (!this.apply(seq, bytes, true)) return
    this.note(seq)
    this.maybeCompact()
  }

  private note(seq: number): void {
    if (seq <= this.watermark) return
    this.ahead.add(seq)
    while (this.ahead.delete(this.watermark + 1)) this.watermark += 1
    if (this.ahead.size === 0) {
      if (this.gapTimer) clearTimeout(this.gapTimer)
      this.gapTimer = null
    } else if (!this.gapTimer) {
      // An entry is missing (relayed out of order between instances, or lost with a
      // connection): ask the peer again from what is known to be complete.
      this.gapTimer = setTimeout(() => {
        this.gapTimer = null
        if (this.ahead.size > 0) this.link.restart()
      }, GAP_RESYNC_MS)
    }
  }

  private flush(): void {
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
    const covers = kind === 'snapshot' ? this.watermark : 0
    const payload =
      kind === 'snapshot'
        ? encodePayload({ type: 'state-v2', update: Y.encodeStateAsUpdateV2(this.options.doc) })
        : encodePayload({ type: 'update-v1', update: update! })
    const entry = sealEntry(this.options.keys, { kind, parent: this.snapshotId, covers }, payload)
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

  private acked(requestId: number, seq: number): void {
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
    if (upload.kind !== 'ephemeral') this.note(seq)
    this.lastRefusal = null
    this.options.onChange()
    this.flush()
    this.maybeCompact()
  }

  private rejected(requestId: number, reason: PutRejection, detail: string): void {
    const upload = this.pending.get(requestId)
    if (!upload) return
    this.pending.delete(requestId)
    if (upload.kind === 'ephemeral') return
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
    if (this.state !== 'ready' || this.compacting !== null || this.inFlight !== null) return
    if (this.ahead.size > 0) return
    const since = this.sinceSnapshot.reduce((sum, item) => sum + item.size, 0)
    if (since <= Math.max(MIN_COMPACT_BYTES, this.snapshotSize / 2)) return
    this.send('snapshot', null, 0)
  }

  private readonly onAwareness = (
    change: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown,
  ): void => {
    const now = Date.now()
    if (origin === this) {
      for (const id of [...change.added, ...change.updated]) this.relayed.set(id, now)
      for (const id of change.removed) this.relayed.delete(id)
      this.options.onChange()
      return
    }
    const me = this.options.doc.clientID
    const mine = [...change.added, ...change.updated, ...change.removed].includes(me)
    if (!mine || this.awarenessTimer) return
    this.awarenessTimer = setTimeout(() => {
      this.awarenessTimer = null
      this.sendAwareness()
    }, AWARENESS_THROTTLE_MS)
  }

  private sendAwareness(): void {
    if (this.state !== 'ready') return
    const update = encodeAwarenessUpdate(this.options.awareness, [this.options.doc.clientID])
    const payload = encodePayload({ type: 'awareness', sentAt: Date.now(), update })
    const entry = sealEntry(
      this.options.keys,
      { kind: 'ephemeral', parent: NO_PARENT, covers: 0 },
      payload,
    )
    const requestId = this.nextRequest++
    this.pending.set(requestId, {
      kind: 'ephemeral',
      update: null,
      mark: 0,
      covers: 0,
      id: NO_PARENT,
      size: entry.length,
      attempts: 0,
    })
    this.link.send({ type: 'put', requestId, entry })
  }

  private receiveEphemeral(bytes: Uint8Array): void {
    const entry = this.open(bytes)
    if (!entry || entry.kind !== 'ephemeral') return
    const payload = decodePayload(entry.payload)
    if (payload?.type !== 'awareness') return
    // Presence replayed from long ago is ignored; y-protocols ignores older clocks anyway.
    if (Math.abs(Date.now() - payload.sentAt) > AWARENESS_MAX_AGE_MS) return
    try {
      applyAwarenessUpdate(this.options.awareness, payload.update, this)
    } catch (error) {
      this.options.warn('Dropped presence from an always-on peer that does not apply.', error)
    }
  }
}

function idKey(id: Uint8Array): string {
  let key = ''
  for (const byte of id) key += byte.toString(16).padStart(2, '0')
  return key
}
