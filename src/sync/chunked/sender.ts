// Outbound queue and flow control for one channel. Pure: no DOM, no Node, no timers; the channel
// decides when to pump (on bufferedamountlow, on a poll, after a retry delay).
//
// Contract (CHUNK-2, CHUNK-5): messages leave in the order they were queued, each split into
// frames of at most chunkBytes payload; one pump never hands the sink more than
// `highWaterMark - sink.bufferedAmount` bytes, so the sink's buffer stays at or under the mark
// even if its bufferedAmount lags; a frame the sink refuses (send throws) is kept and resent by
// the next pump, never skipped.
import { encodeDataFrame, type MessageKind } from './framing'

/** The part of a data channel the sender writes to. */
export interface FrameSink {
  readonly bufferedAmount: number
  send(frame: Uint8Array): void
}

export interface SenderOptions {
  /** Payload bytes per frame. */
  readonly chunkBytes: number
  /** The sink's bufferedAmount is kept at or under this many bytes. */
  readonly highWaterMark: number
}

export type PumpResult =
  /** Everything queued has been handed to the sink. */
  | { readonly status: 'idle'; readonly framesSent: number }
  /** The high-water mark is reached: pump again once the sink has drained. */
  | { readonly status: 'blocked'; readonly framesSent: number }
  /** The next message's bytes are still being produced (a Blob being read). */
  | { readonly status: 'waiting'; readonly framesSent: number }
  /** The sink threw; the frame is kept and the next pump resends it. */
  | { readonly status: 'failed'; readonly framesSent: number; readonly error: unknown }

interface Outbound {
  readonly messageId: number
  readonly kind: MessageKind
  bytes: Uint8Array | null
  byteLength: number
  count: number
  nextIndex: number
  offset: number
}

interface PendingFrame {
  readonly frame: Uint8Array
  readonly payloadBytes: number
}

export class Sender {
  private readonly options: SenderOptions
  private readonly queue: Outbound[] = []
  private pending: PendingFrame | null = null
  private nextMessageId = 0
  private queued = 0

  constructor(options: SenderOptions) {
    if (!(options.chunkBytes >= 1)) throw new Error('Sender: chunkBytes must be at least 1')
    if (!(options.highWaterMark >= options.chunkBytes)) {
      throw new Error('Sender: highWaterMark must be at least chunkBytes')
    }
    this.options = options
  }

  /** Payload bytes queued but not yet handed to the sink. */
  get queuedBytes(): number {
    return this.queued
  }

  /** Messages not yet fully handed to the sink. */
  get queuedMessages(): number {
    return this.queue.length
  }

  enqueue(kind: MessageKind, bytes: Uint8Array): void {
    const entry = this.add(kind, bytes.byteLength)
    entry.bytes = bytes
  }

  /**
   * Reserves the next place in the queue for a message whose bytes come later (a Blob being
   * read). Later messages wait behind it. Returns the function that supplies the bytes.
   */
  enqueueDeferred(kind: MessageKind, sizeHint: number): (bytes: Uint8Array) => void {
    const entry = this.add(kind, sizeHint)
    return (bytes) => {
      if (entry.bytes !== null) throw new Error('Sender: deferred bytes supplied twice')
      if (!this.queue.includes(entry)) return // cleared meanwhile
      this.queued += bytes.byteLength - entry.byteLength
      entry.bytes = bytes
      entry.byteLength = bytes.byteLength
      entry.count = chunkCount(bytes.byteLength, this.options.chunkBytes)
    }
  }

  pump(sink: FrameSink): PumpResult {
    let framesSent = 0
    let budget = this.options.highWaterMark - sink.bufferedAmount
    for (;;) {
      const head = this.queue[0]
      if (head === undefined) return { status: 'idle', framesSent }
      if (head.bytes === null) return { status: 'waiting', framesSent }
      const next = this.pending ?? this.frameOf(head, head.bytes)
      if (next.frame.byteLength > budget) {
        this.pending = next
        return { status: 'blocked', framesSent }
      }
      try {
        sink.send(next.frame)
      } catch (error) {
        this.pending = next
        return { status: 'failed', framesSent, error }
      }
      this.pending = null
      framesSent++
      budget -= next.frame.byteLength
      head.offset += next.payloadBytes
      head.nextIndex++
      this.queued -= next.payloadBytes
      if (head.nextIndex === head.count) this.queue.shift()
    }
  }

  /** Drops everything queued; returns how many messages were not fully sent. */
  clear(): number {
    const dropped = this.queue.length
    this.queue.length = 0
    this.pending = null
    this.queued = 0
    return dropped
  }

  private add(kind: MessageKind, byteLength: number): Outbound {
    const entry: Outbound = {
      messageId: this.nextMessageId++,
      kind,
      bytes: null,
      byteLength,
      count: chunkCount(byteLength, this.options.chunkBytes),
      nextIndex: 0,
      offset: 0,
    }
    this.queue.push(entry)
    this.queued += byteLength
    return entry
  }

  private frameOf(head: Outbound, bytes: Uint8Array): PendingFrame {
    const end = Math.min(head.offset + this.options.chunkBytes, head.byteLength)
    const payload = bytes.subarray(head.offset, end)
    const frame = encodeDataFrame(
      {
        messageId: head.messageId,
        index: head.nextIndex,
        count: head.count,
        kind: head.kind,
        byteLength: head.nextIndex === 0 ? head.byteLength : null,
      },
      payload,
    )
    return { frame, payloadBytes: payload.byteLength }
  }
}

/** A 0-byte message still travels as one (empty) chunk. */
export function chunkCount(byteLength: number, chunkBytes: number): number {
  return Math.max(1, Math.ceil(byteLength / chunkBytes))
}
