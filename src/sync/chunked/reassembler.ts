// Reassembly state machine for one inbound channel. Pure: no DOM, no Node, no timers.
//
// Contract (CHUNK-1, CHUNK-3): every message is delivered whole, exactly once, in message-id
// order; the first frame that breaks the framing rules makes the reassembler fail for good with a
// reason, drops every partial message, and nothing partial is ever delivered. Messages completed
// before the failure were already returned and stay delivered.
import type { DataFrame, MessageKind, Rejection } from './framing'

export type ReassembledMessage =
  | { readonly kind: 'string'; readonly data: string }
  /** `data` is a fresh Uint8Array that owns its whole ArrayBuffer (offset 0, exact length). */
  | { readonly kind: 'binary'; readonly data: Uint8Array<ArrayBuffer> }

export type PushResult =
  | { readonly ok: true; readonly messages: readonly ReassembledMessage[] }
  | ({ readonly ok: false } & Rejection)

export interface ReassemblyLimits {
  /** Largest message, in bytes, that is accepted (by its declared length). */
  readonly maxMessageBytes: number
  /** Most messages that may be partially received at once. */
  readonly maxPartialMessages: number
  /** Most bytes that partially received messages may declare together. */
  readonly maxPendingBytes: number
}

interface Partial {
  readonly messageId: number
  readonly kind: MessageKind
  readonly count: number
  readonly byteLength: number
  readonly chunks: Uint8Array[]
  received: number
  nextIndex: number
  done: ReassembledMessage | null
}

type Failed = { readonly ok: false } & Rejection

const NONE: readonly ReassembledMessage[] = []

export class Reassembler {
  private readonly limits: ReassemblyLimits
  /** In-flight messages by id; Map iteration order is id order because ids are sequential. */
  private readonly partials = new Map<number, Partial>()
  private nextMessageId = 0
  private pendingBytes = 0
  private failure: Rejection | null = null
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

  constructor(limits: ReassemblyLimits) {
    this.limits = limits
  }

  /** The reason this reassembler stopped, or null while it is healthy. */
  get failed(): Rejection | null {
    return this.failure
  }

  /** Messages begun but not yet delivered. */
  get partialCount(): number {
    return this.partials.size
  }

  push(frame: DataFrame): PushResult {
    if (this.failure) return { ok: false, ...this.failure }
    const partial = frame.index === 0 ? this.begin(frame) : this.continue(frame)
    if ('ok' in partial) return partial

    if (partial.received + frame.payload.byteLength > partial.byteLength) {
      return this.fail(
        'length-mismatch',
        `message ${partial.messageId}: chunks carry more than the declared ${partial.byteLength} bytes`,
      )
    }
    partial.chunks.push(frame.payload)
    partial.received += frame.payload.byteLength
    partial.nextIndex++
    if (partial.nextIndex < partial.count) return { ok: true, messages: NONE }

    if (partial.received !== partial.byteLength) {
      return this.fail(
        'length-mismatch',
        `message ${partial.messageId}: ${partial.received} bytes received, ${partial.byteLength} declared`,
      )
    }
    const message = this.complete(partial)
    if ('ok' in message) return message
    partial.done = message
    return { ok: true, messages: this.release() }
  }

  private begin(frame: DataFrame): Partial | Failed {
    const { messageId } = frame
    if (messageId !== this.nextMessageId) {
      if (this.partials.has(messageId)) {
        return this.fail(
          'chunk-out-of-order',
          `message ${messageId}: its first chunk arrived twice`,
        )
      }
      return this.fail(
        'unexpected-message-id',
        `message id ${messageId} where ${this.nextMessageId} was expected`,
      )
    }
    const byteLength = frame.byteLength ?? -1
    if (byteLength < 0) {
      return this.fail('malformed-frame', `message ${messageId}: first chunk has no length`)
    }
    if (byteLength > this.limits.maxMessageBytes) {
      return this.fail(
        'message-too-large',
        `message ${messageId} declares ${byteLength} bytes, limit ${this.limits.maxMessageBytes}`,
      )
    }
    if (frame.count > Math.max(1, byteLength)) {
      return this.fail(
        'malformed-frame',
        `message ${messageId}: ${frame.count} chunks for ${byteLength} bytes`,
      )
    }
    if (this.partials.size >= this.limits.maxPartialMessages) {
      return this.fail(
        'too-many-partial-messages',
        `more than ${this.limits.maxPartialMessages} messages partially received at once`,
      )
    }
    if (this.pendingBytes + byteLength > this.limits.maxPendingBytes) {
      return this.fail(
        'reassembly-budget-exceeded',
        `partial messages would declare ${this.pendingBytes + byteLength} bytes, budget ${this.limits.maxPendingBytes}`,
      )
    }
    const partial: Partial = {
      messageId,
      kind: frame.kind,
      count: frame.count,
      byteLength,
      chunks: [],
      received: 0,
      nextIndex: 0,
      done: null,
    }
    this.partials.set(messageId, partial)
    this.pendingBytes += byteLength
    this.nextMessageId++
    return partial
  }

  private continue(frame: DataFrame): Partial | Failed {
    const partial = this.partials.get(frame.messageId)
    if (partial === undefined || partial.done !== null) {
      return this.fail(
        'chunk-out-of-order',
        `chunk ${frame.index} of message ${frame.messageId}, which is not being received`,
      )
    }
    if (frame.index !== partial.nextIndex) {
      return this.fail(
        'chunk-out-of-order',
        `message ${frame.messageId}: chunk ${frame.index} where ${partial.nextIndex} was expected`,
      )
    }
    if (frame.count !== partial.count || frame.kind !== partial.kind) {
      return this.fail(
        'malformed-frame',
        `message ${frame.messageId}: chunk ${frame.index} contradicts the first chunk's count or kind`,
      )
    }
    return partial
  }

  private complete(partial: Partial): ReassembledMessage | Failed {
    const bytes = concat(partial.chunks, partial.byteLength)
    partial.chunks.length = 0
    if (partial.kind === 'binary') return { kind: 'binary', data: bytes }
    try {
      return { kind: 'string', data: this.utf8.decode(bytes) }
    } catch {
      return this.fail('invalid-utf8', `message ${partial.messageId} is not valid UTF-8`)
    }
  }

  /** Hands out completed messages in id order, stopping at the first still incomplete one. */
  private release(): ReassembledMessage[] {
    const out: ReassembledMessage[] = []
    for (const [id, partial] of this.partials) {
      if (partial.done === null) break
      out.push(partial.done)
      this.pendingBytes -= partial.byteLength
      this.partials.delete(id)
    }
    return out
  }

  private fail(reason: Rejection['reason'], detail: string): Failed {
    this.failure = { reason, detail }
    this.partials.clear()
    this.pendingBytes = 0
    return { ok: false, reason, detail }
  }
}

function concat(chunks: readonly Uint8Array[], byteLength: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(byteLength)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}
