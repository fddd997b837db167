// One browser's connection to the always-on peer, for one document (rules STORE-1..4, 7). It
// checks everything it can without reading: the topic commits to the verify key, every entry is
// signed by it, updates build on the current snapshot, sizes and rates are within limits. Puts
// are handled one at a time, so acknowledgements leave in the order the puts came. Entries,
// topics and keys are never logged.
import { WebSocket, type RawData } from 'ws'
import {
  decodeClientMessage,
  encodeServerMessage,
  STORE_CLOSE_CODES,
  type HelloMessage,
  type PutRejection,
  type ServerMessage,
  type StoreCloseReason,
} from '../../src/protocol/always-on'
import {
  entryId,
  MAX_TOMBSTONE_BYTES,
  parseEntry,
  verifyEntry,
  type Entry,
} from '../../src/protocol/entry'
import { storeTopicOf } from '../../src/protocol/store-topic'
import type { ServerConfig } from '../config'
import type { Logger } from '../log'
import { TokenBucket } from '../signaling/token-bucket'
import { nodeVerify } from './ed25519'
import type { StoreMetrics } from './metrics'
import type { AppendOutcome, CompactOutcome, EntryStore, TombstoneOutcome } from './store'

const MOVED_DETAIL = 'the document moved to a new link; ask its editors for it'

/** Puts a connection may have waiting for the store before further ones are refused. */
const MAX_WAITING_PUTS = 64

export interface StoreSubscriber {
  readonly id: number
  /** Sends a frame someone else caused (a stored entry or an ephemeral one). */
  deliver(frame: Uint8Array): void
}

export interface ConnectionHost {
  readonly config: ServerConfig
  readonly store: EntryStore
  readonly metrics: StoreMetrics
  readonly log: Logger
  join(topic: string, verifyKey: Uint8Array, subscriber: StoreSubscriber): void
  leave(topic: string, subscriber: StoreSubscriber): void
  /**
   * Forwards a frame to every other subscriber of the topic, here and on other instances. A
   * `tombstone` frame (an `entry` frame holding one) also marks the topic moved.
   */
  relay(topic: string, frame: Uint8Array, kind: RelayKind, from: StoreSubscriber): void
  /** The topic is known here to have moved (MOVE-2): presence is refused without a store read. */
  isMoved(topic: string): boolean
  markMoved(topic: string): void
}

export type RelayKind = 'entry' | 'ephemeral' | 'tombstone'

export class StoreConnection implements StoreSubscriber {
  private topic: string | null = null
  private verifyKey: Uint8Array | null = null
  private welcomed = false
  /** Live frames that arrived before the welcome was sent; the client dedups by sequence. */
  private early: Uint8Array[] = []
  private queue: Promise<void> = Promise.resolve()
  private readonly bucket: TokenBucket
  private closing = false
  private waiting = 0
  /** What the welcome left queued; live frames may pile up this much more before a drop. */
  private welcomeBytes = 0
  answeredPing = true

  constructor(
    readonly id: number,
    private readonly ws: WebSocket,
    private readonly host: ConnectionHost,
  ) {
    const { storeWriteBurst, storeWritesPerSecond } = host.config
    this.bucket = new TokenBucket(storeWriteBurst, storeWritesPerSecond, performance.now())
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary))
    ws.on('pong', () => (this.answeredPing = true))
    ws.once('close', () => {
      this.closing = true
      if (this.topic !== null) host.leave(this.topic, this)
    })
  }

  deliver(frame: Uint8Array): void {
    if (this.closing) return
    if (!this.welcomed) {
      this.early.push(frame)
      return
    }
    this.send(frame)
  }

  heartbeat(): void {
    if (!this.answeredPing) {
      this.close('idle-timeout')
      return
    }
    this.answeredPing = false
    if (this.ws.readyState === WebSocket.OPEN) this.ws.ping()
  }

  close(reason: StoreCloseReason, detail?: string): void {
    if (this.closing) return
    this.closing = true
    const text = detail === undefined ? reason : `${reason}: ${detail}`
    this.ws.close(STORE_CLOSE_CODES[reason], text.slice(0, 123))
    const timer = setTimeout(() => this.ws.terminate(), this.host.config.closeTimeoutMs)
    timer.unref()
  }

  private send(frame: Uint8Array): void {
    // A subscriber that cannot keep up is dropped rather than buffered without bound.
    const limit =
      this.welcomeBytes +
      Math.max(this.host.config.maxBufferedBytes, 2 * this.host.config.storeMaxEntryBytes)
    if (this.ws.bufferedAmount + frame.length > limit) {
      this.close('slow-consumer')
      return
    }
    this.ws.send(frame)
  }

  private reply(message: ServerMessage): void {
    if (!this.closing) this.send(encodeServerMessage(message))
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.closing) return
    if (!isBinary) {
      this.close('bad-frame', 'text-frame')
      return
    }
    const bytes = toBytes(data)
    const parsed = decodeClientMessage(bytes)
    if (!parsed.ok) {
      this.close(
        parsed.reason === 'unsupported-version' ? 'unsupported-version' : 'bad-frame',
        parsed.detail,
      )
      return
    }
    const message = parsed.value
    // Puts wait their turn (acks leave in order); a client that outruns the store is answered
    // at once instead of having its frames held here without bound.
    if (message.type === 'put' && this.waiting >= MAX_WAITING_PUTS) {
      this.reject(message.requestId, 'rate-limited', `more than ${MAX_WAITING_PUTS} puts waiting`)
      return
    }
    if (message.type === 'put') this.waiting += 1
    this.queue = this.queue
      .then(() =>
        message.type === 'hello'
          ? this.hello(message)
          : this.put(message.requestId, message.entry).finally(() => (this.waiting -= 1)),
      )
      .catch((error: unknown) => {
        this.host.log.error({ conn: this.id, err: error }, 'store handler failed')
        this.close('internal-error')
      })
  }

  private async hello(message: HelloMessage): Promise<void> {
    if (this.topic !== null) {
      this.close('bad-frame', 'second-hello')
      return
    }
    if (message.verifyKey.length !== 32 || storeTopicOf(message.verifyKey) !== message.topic) {
      // The topic must commit to the key, or anyone could claim a topic with a key of their own.
      this.close('bad-topic', 'topic-does-not-match-key')
      return
    }
    this.topic = message.topic
    this.verifyKey = message.verifyKey
    this.host.join(message.topic, message.verifyKey, this)
    const read = await this.host.store.read(message.topic, {
      snapshotId: message.haveSnapshot.length === 32 ? message.haveSnapshot : null,
      since: message.since,
    })
    const valid = (stored: { bytes: Uint8Array }): boolean => {
      const ok = parseEntry(stored.bytes, Number.MAX_SAFE_INTEGER).ok
      if (!ok) this.host.metrics.corruptRows.inc()
      return ok
    }
    const snapshot = read?.snapshot && valid(read.snapshot) ? read.snapshot : null
    // A moved document's tombstone is served to everyone who comes, last (it holds the head), so
    // that every browser on the old link learns of the move however little it asked for (MOVE-3).
    const tombstone = read?.tombstone && valid(read.tombstone) ? read.tombstone : null
    if (tombstone) this.host.markMoved(message.topic)
    // The welcome is the answer the client asked for, as large as the document (bounded by
    // STORE_MAX_DOCUMENT_BYTES): it is not held to the slow-consumer bound, which is for live
    // frames piling up behind it.
    if (this.closing) return
    this.ws.send(
      encodeServerMessage({
        type: 'welcome',
        head: read?.head ?? 0,
        snapshot: snapshot ? { seq: snapshot.seq, entry: snapshot.bytes } : null,
        updates: [...(read?.updates ?? []).filter(valid), ...(tombstone ? [tombstone] : [])].map(
          (u) => ({ seq: u.seq, entry: u.bytes }),
        ),
      }),
    )
    this.welcomeBytes = this.ws.bufferedAmount
    this.welcomed = true
    for (const frame of this.early) this.send(frame)
    this.early = []
  }

  private reject(requestId: number, reason: PutRejection, detail: string): void {
    this.host.metrics.rejections.inc({ reason })
    this.reply({ type: 'reject', requestId, reason, detail })
  }

  private async put(requestId: number, bytes: Uint8Array): Promise<void> {
    const started = performance.now()
    const { topic, verifyKey } = this
    if (topic === null || verifyKey === null) {
      this.close('bad-frame', 'put-before-hello')
      return
    }
    if (!this.bucket.take(started)) {
      this.reject(requestId, 'rate-limited', `over ${this.host.config.storeWritesPerSecond}/s`)
      return
    }
    const parsed = parseEntry(bytes, this.host.config.storeMaxEntryBytes)
    if (!parsed.ok) {
      this.reject(requestId, parsed.reason, parsed.detail)
      return
    }
    const entry = parsed.value
    if (entry.kind === 'tombstone' && bytes.length > MAX_TOMBSTONE_BYTES) {
      this.reject(
        requestId,
        'entry-too-large',
        `a tombstone is at most ${MAX_TOMBSTONE_BYTES} bytes`,
      )
      return
    }
    if (!verifyEntry(entry, topic, verifyKey, nodeVerify)) {
      this.reject(requestId, 'bad-signature', "not signed by this document's write key")
      return
    }
    if (entry.kind === 'tombstone') {
      await this.end(requestId, topic, entry, started)
      return
    }
    if (entry.kind === 'ephemeral' && this.host.isMoved(topic)) {
      this.reject(requestId, 'moved', MOVED_DETAIL)
      return
    }
    if (entry.kind === 'ephemeral') {
      this.host.relay(
        topic,
        encodeServerMessage({ type: 'ephemeral', entry: bytes }),
        'ephemeral',
        this,
      )
      this.host.metrics.puts.inc({ kind: 'ephemeral' })
      this.reply({ type: 'ack', requestId, seq: 0 })
      return
    }
    await this.store(requestId, topic, entry, started)
  }

  /** A tombstone signed by the document's key: the topic ends here (MOVE-2, MOVE-3). */
  private async end(
    requestId: number,
    topic: string,
    entry: Entry,
    started: number,
  ): Promise<void> {
    const { store, metrics } = this.host
    let outcome: TombstoneOutcome
    try {
      outcome = await store.tombstone(topic, { id: entryId(entry.bytes), bytes: entry.bytes })
    } catch (error) {
      this.host.log.error({ conn: this.id, err: error }, 'store write failed')
      this.reject(requestId, 'storage-error', 'the store could not write; retry later')
      return
    }
    this.reply({ type: 'ack', requestId, seq: outcome.seq })
    if (outcome.kind === 'duplicate') return
    metrics.writeSeconds.observe({ kind: 'tombstone' }, (performance.now() - started) / 1000)
    metrics.puts.inc({ kind: 'tombstone' })
    metrics.compactedEntries.inc(outcome.removed)
    this.host.relay(
      topic,
      encodeServerMessage({ type: 'entry', seq: outcome.seq, entry: entry.bytes }),
      'tombstone',
      this,
    )
  }

  private async store(
    requestId: number,
    topic: string,
    entry: Entry,
    started: number,
  ): Promise<void> {
    const { store, config, metrics } = this.host
    const id = entryId(entry.bytes)
    let outcome: AppendOutcome | CompactOutcome
    try {
      outcome =
        entry.kind === 'snapshot'
          ? await store.compact(
              topic,
              { id, parent: entry.parent, covers: entry.covers, bytes: entry.bytes },
              config.storeMaxDocumentBytes,
            )
          : await store.append(
              topic,
              { id, parent: entry.parent, bytes: entry.bytes },
              config.storeMaxDocumentBytes,
            )
    } catch (error) {
      // The engine failed (disk full, database down): nothing was acknowledged, the client keeps
      // the entry and retries; this connection and every other stay up.
      this.host.log.error({ conn: this.id, err: error }, 'store write failed')
      this.reject(requestId, 'storage-error', 'the store could not write; retry later')
      return
    }
    switch (outcome.kind) {
      case 'stored':
        metrics.writeSeconds.observe({ kind: entry.kind }, (performance.now() - started) / 1000)
        metrics.puts.inc({ kind: entry.kind })
        if (entry.kind === 'snapshot') {
          metrics.compactions.inc()
          metrics.compactedEntries.inc((outcome as { removed?: number }).removed ?? 0)
        }
        this.reply({ type: 'ack', requestId, seq: outcome.seq })
        this.host.relay(
          topic,
          encodeServerMessage({ type: 'entry', seq: outcome.seq, entry: entry.bytes }),
          'entry',
          this,
        )
        return
      case 'duplicate':
        this.reply({ type: 'ack', requestId, seq: outcome.seq })
        return
      case 'stale-parent':
        this.reject(requestId, 'stale-parent', 'the entry does not build on the current snapshot')
        return
      case 'covers-ahead':
        this.reject(requestId, 'covers-ahead', `the head is ${outcome.head}`)
        return
      case 'document-full':
        this.reject(requestId, 'document-full', `limit ${config.storeMaxDocumentBytes} bytes`)
        return
      case 'moved':
        this.reject(requestId, 'moved', MOVED_DETAIL)
        return
    }
  }
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data))
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}
