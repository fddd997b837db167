// ChunkedDataChannel: looks like an RTCDataChannel to simple-peer (and anything else), but puts
// every message on the real channel as frames of at most 16 KiB with flow control, after a
// hello handshake. Rules: docs/SPEC.md (CHUNK-1..5).
//
// Lifecycle: 'connecting' until the real channel is open, our hello is sent AND the peer's v1
// hello has arrived; then 'open' and the `open` event. Any failure (the peer does not speak the
// framing, a malformed or oversized frame, a send that keeps failing, data still queued when the
// transport closes) dispatches one `error` event with a ChunkingError, calls onTransportError,
// closes the real channel and dispatches `close`. An error event is always followed by close.
import { decodeDataFrame, decodeHello, encodeHello, type Hello } from './framing'
import { ChunkingError } from './errors'
import { ListenerSet, type ChannelEvent, type ChannelHandler, type ChannelListener } from './events'
import {
  resolveChunkingOptions,
  type ChunkingOptions,
  type ResolvedChunkingOptions,
} from './options'
import { Reassembler, type ReassembledMessage } from './reassembler'
import { Sender, type FrameSink } from './sender'
import type { ChunkingErrorReason } from '../../protocol/chunking'
import {
  asBytes,
  closeQuietly,
  describe,
  invalidState,
  isSet,
  ownBuffer,
  type RawDataChannel,
  type RawEvent,
} from './raw'

export type DataChannelState = 'connecting' | 'open' | 'closing' | 'closed'
export type { RawDataChannel, RawEvent }

type Event = ChannelEvent<ChunkedDataChannel>

/** While blocked on a channel that has `bufferedamountlow`, pump anyway after this long. */
const WATCHDOG_MS = 100

export class ChunkedDataChannel {
  onopen: ChannelHandler<ChunkedDataChannel> = null
  onclose: ChannelHandler<ChunkedDataChannel> = null
  onclosing: ChannelHandler<ChunkedDataChannel> = null
  onmessage: ChannelHandler<ChunkedDataChannel> = null
  onerror: ChannelHandler<ChunkedDataChannel> = null
  onbufferedamountlow: ChannelHandler<ChunkedDataChannel> = null

  private readonly raw: RawDataChannel
  private readonly options: ResolvedChunkingOptions
  private readonly sender: Sender
  private readonly reassembler: Reassembler
  private readonly listeners = new ListenerSet<ChunkedDataChannel>()
  private readonly rawListeners: [string, (event: RawEvent) => void][]
  private readonly hasLowEvent: boolean
  private readonly utf8 = new TextEncoder()
  private readonly sink: FrameSink
  private state: DataChannelState = 'connecting'
  private helloSent = false
  private peer: Hello | null = null
  private failure: ChunkingError | null = null
  private localClose = false
  private threshold = 0
  private lowArmed = false
  private binary: 'arraybuffer' | 'blob'
  private retries = 0
  private helloTimer: ReturnType<typeof setTimeout> | null = null
  private pumpTimer: ReturnType<typeof setTimeout> | null = null

  constructor(raw: RawDataChannel, options: ChunkingOptions = {}) {
    if (raw.ordered === false || isSet(raw.maxRetransmits) || isSet(raw.maxPacketLifeTime)) {
      throw new Error(
        'ChunkedDataChannel needs a reliable, ordered data channel: do not set ordered: false, ' +
          'maxRetransmits or maxPacketLifeTime in channelConfig',
      )
    }
    this.raw = raw
    this.options = resolveChunkingOptions(options)
    this.sender = new Sender({
      chunkBytes: this.options.chunkBytes,
      highWaterMark: this.options.highWaterMark,
    })
    this.reassembler = new Reassembler({
      maxMessageBytes: this.options.maxMessageBytes,
      maxPartialMessages: this.options.maxPartialMessages,
      maxPendingBytes: this.options.maxMessageBytes,
    })
    this.binary = raw.binaryType === 'blob' ? 'blob' : 'arraybuffer'
    raw.binaryType = 'arraybuffer'
    this.hasLowEvent = typeof raw.bufferedAmountLowThreshold === 'number'
    this.sink = {
      get bufferedAmount() {
        return raw.bufferedAmount
      },
      send: (frame) => raw.send(ownBuffer(frame)),
    }
    this.rawListeners = [
      ['open', () => this.onRawOpen()],
      ['message', (event) => this.onRawMessage(event.data)],
      ['bufferedamountlow', () => this.pump()],
      ['closing', () => this.emit('closing')],
      ['error', (event) => this.onRawError(event)],
      ['close', () => this.onRawClose()],
    ]
    for (const [type, listener] of this.rawListeners) raw.addEventListener(type, listener)
    if (raw.readyState === 'open') this.onRawOpen()
    else if (raw.readyState === 'closed') this.state = 'closed'
  }

  // --- RTCDataChannel surface -------------------------------------------------------------

  get label(): string {
    return this.raw.label
  }
  get id(): number | null {
    return this.raw.id
  }
  get protocol(): string {
    return this.raw.protocol ?? ''
  }
  get ordered(): boolean {
    return true
  }
  get negotiated(): boolean {
    return this.raw.negotiated ?? false
  }
  get maxRetransmits(): null {
    return null
  }
  get maxPacketLifeTime(): null {
    return null
  }

  get readyState(): DataChannelState {
    if (
      this.state === 'open' &&
      (this.raw.readyState === 'closing' || this.raw.readyState === 'closed')
    ) {
      return this.raw.readyState
    }
    return this.state
  }

  /** Bytes queued in this wrapper plus bytes buffered by the real channel. */
  get bufferedAmount(): number {
    return this.sender.queuedBytes + this.raw.bufferedAmount
  }

  get bufferedAmountLowThreshold(): number {
    return this.threshold
  }
  set bufferedAmountLowThreshold(value: number) {
    this.threshold = Math.max(0, Math.floor(Number(value) || 0))
  }

  get binaryType(): 'arraybuffer' | 'blob' {
    return this.binary
  }
  set binaryType(value: string) {
    if (value === 'arraybuffer' || value === 'blob') this.binary = value
  }

  /** The framing limits the peer announced, once its hello has arrived. */
  get peerHello(): Hello | null {
    return this.peer
  }

  /** Why this channel failed, or null. */
  get error(): ChunkingError | null {
    return this.failure
  }

  addEventListener(type: string, listener: ChannelListener<ChunkedDataChannel> | null): void {
    this.listeners.add(type, listener)
  }

  removeEventListener(type: string, listener: ChannelListener<ChunkedDataChannel> | null): void {
    this.listeners.remove(type, listener)
  }

  send(data: string | ArrayBuffer | ArrayBufferView | Blob): void {
    if (this.readyState !== 'open') {
      throw invalidState(`ChunkedDataChannel.send: readyState is '${this.readyState}', not 'open'`)
    }
    const limit = this.peer?.maxMessageBytes ?? 0
    if (typeof Blob === 'function' && data instanceof Blob) {
      if (this.tooLarge(data.size, limit)) return
      const supply = this.sender.enqueueDeferred('binary', data.size)
      data.arrayBuffer().then(
        (buffer) => {
          supply(new Uint8Array(buffer))
          this.pump()
        },
        (error: unknown) => this.fail('send-failed', `reading a Blob to send failed`, error),
      )
      this.afterEnqueue()
      return
    }
    let bytes: Uint8Array
    let kind: 'string' | 'binary' = 'binary'
    if (typeof data === 'string') {
      bytes = this.utf8.encode(data)
      kind = 'string'
    } else if (data instanceof ArrayBuffer) {
      bytes = new Uint8Array(data.slice(0))
    } else if (ArrayBuffer.isView(data)) {
      bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice()
    } else {
      throw new TypeError('ChunkedDataChannel.send: expected a string, ArrayBuffer, view or Blob')
    }
    if (this.tooLarge(bytes.byteLength, limit)) return
    this.sender.enqueue(kind, bytes)
    this.afterEnqueue()
  }

  close(): void {
    if (this.state === 'closing' || this.state === 'closed') return
    this.localClose = true
    this.clearHelloTimer()
    const pending = this.state === 'open' && this.sender.queuedMessages > 0
    this.state = 'closing'
    // As RTCDataChannel.close(): what was sent before close() still goes out.
    if (pending) return
    closeQuietly(this.raw)
    if (this.raw.readyState === 'closed') queueMicrotask(() => this.onRawClose())
  }

  // --- handshake and inbound --------------------------------------------------------------

  private onRawOpen(): void {
    if (this.helloSent || this.state !== 'connecting') return
    try {
      this.raw.send(ownBuffer(encodeHello(this.options.maxMessageBytes)))
    } catch (error) {
      this.fail('send-failed', 'the real channel refused our hello', error)
      return
    }
    this.helloSent = true
    if (this.peer === null) {
      this.helloTimer = setTimeout(() => {
        this.fail(
          'hello-timeout',
          `no hello from the peer within ${this.options.helloTimeoutMs} ms`,
        )
      }, this.options.helloTimeoutMs)
    }
    this.maybeOpen()
  }

  private onRawMessage(data: unknown): void {
    if (!this.live()) return
    const bytes = asBytes(data)
    if (this.peer === null) {
      if (bytes === null) {
        this.fail('peer-does-not-speak-meshpad-chunking-v1', `first message is a ${describe(data)}`)
        return
      }
      const hello = decodeHello(bytes)
      if (!hello.ok) return this.fail(hello.reason, hello.detail)
      this.peer = hello.value
      this.clearHelloTimer()
      this.maybeOpen()
      return
    }
    if (bytes === null)
      return this.fail('malformed-frame', `a ${describe(data)} where frames are binary`)
    const frame = decodeDataFrame(bytes)
    if (!frame.ok) return this.fail(frame.reason, frame.detail)
    const pushed = this.reassembler.push(frame.value)
    if (!pushed.ok) return this.fail(pushed.reason, pushed.detail)
    for (const message of pushed.messages) {
      if (!this.live()) return
      this.emit('message', { data: this.toData(message) })
    }
  }

  private maybeOpen(): void {
    if (this.state !== 'connecting' || !this.helloSent || this.peer === null) return
    this.state = 'open'
    this.emit('open')
  }

  private toData(message: ReassembledMessage): string | ArrayBuffer | Blob {
    if (message.kind === 'string') return message.data
    if (this.binary === 'blob' && typeof Blob === 'function') return new Blob([message.data])
    return message.data.buffer
  }

  // --- outbound and flow control ----------------------------------------------------------

  private tooLarge(byteLength: number, limit: number): boolean {
    if (byteLength <= limit) return false
    this.fail(
      'outbound-message-too-large',
      `a ${byteLength}-byte message; the peer accepts at most ${limit} bytes`,
    )
    return true
  }

  private afterEnqueue(): void {
    if (this.bufferedAmount > this.threshold) this.lowArmed = true
    this.pump()
  }

  /** Hands the real channel what flow control allows, then decides when to come back. */
  private pump(): void {
    this.clearPumpTimer()
    if (this.failure !== null || this.state === 'closed' || this.state === 'connecting') return
    const result = this.sender.pump(this.sink)
    if (result.framesSent > 0) this.retries = 0
    switch (result.status) {
      case 'idle':
        if (this.state === 'closing') closeQuietly(this.raw)
        break
      case 'blocked':
        this.waitForDrain(this.options.lowWaterMark)
        break
      case 'waiting':
        break
      case 'failed':
        if (this.raw.readyState !== 'open' || this.retries >= this.options.maxSendRetries) {
          const tries = this.retries + 1
          this.fail(
            'send-failed',
            `the real channel (${this.raw.readyState}) refused a frame ${tries} time(s): ${String(result.error)}`,
            result.error,
          )
          return
        }
        this.schedulePump(this.options.retryDelayMs * 2 ** this.retries++)
        return
    }
    this.checkLow()
  }

  private waitForDrain(level: number): void {
    if (!this.hasLowEvent) {
      this.schedulePump(this.options.pollIntervalMs)
      return
    }
    this.raw.bufferedAmountLowThreshold = level
    // The event fires only on a downward crossing: if it already drained, do not wait for it.
    this.schedulePump(this.raw.bufferedAmount <= level ? 0 : WATCHDOG_MS)
  }

  /** Fires our own bufferedamountlow when queued + buffered crosses down to the threshold. */
  private checkLow(): void {
    const total = this.bufferedAmount
    if (total > this.threshold) {
      this.lowArmed = true
      if (this.sender.queuedMessages === 0) this.waitForDrain(this.threshold)
      return
    }
    if (!this.lowArmed) return
    this.lowArmed = false
    queueMicrotask(() => {
      if (this.live()) this.emit('bufferedamountlow')
    })
  }

  private schedulePump(ms: number): void {
    this.clearPumpTimer()
    this.pumpTimer = setTimeout(() => {
      this.pumpTimer = null
      this.pump()
    }, ms)
  }

  // --- failure and close ------------------------------------------------------------------

  private onRawError(event: RawEvent): void {
    const detail = event.error instanceof Error ? event.error.message : (event.message ?? 'unknown')
    this.fail('transport-error', `the real channel reported an error: ${detail}`, event.error)
  }

  private onRawClose(): void {
    if (this.state === 'closed' || this.failure !== null) return
    const dropped = this.sender.queuedMessages
    if (dropped > 0 && !this.localClose) {
      this.fail('closed-before-sent', `the channel closed with ${dropped} message(s) unsent`)
      return
    }
    this.finishClose()
  }

  private fail(reason: ChunkingErrorReason, detail: string, cause?: unknown): void {
    if (this.failure !== null || this.state === 'closed') return
    const error = new ChunkingError(reason, detail, cause === undefined ? undefined : { cause })
    this.failure = error
    this.sender.clear()
    this.clearHelloTimer()
    this.clearPumpTimer()
    this.state = 'closing'
    closeQuietly(this.raw)
    // Never inside the caller's send() or the real channel's event: as a browser would, later.
    queueMicrotask(() => {
      this.emit('error', { error, message: error.message })
      this.options.onTransportError?.(error, this)
      this.finishClose()
    })
  }

  private finishClose(): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    this.sender.clear()
    this.clearHelloTimer()
    this.clearPumpTimer()
    for (const [type, listener] of this.rawListeners) this.raw.removeEventListener(type, listener)
    this.emit('close')
  }

  /** Not failed and not closed: inbound frames are processed and events may fire. */
  private live(): boolean {
    return this.failure === null && this.state !== 'closed'
  }

  private clearHelloTimer(): void {
    if (this.helloTimer !== null) clearTimeout(this.helloTimer)
    this.helloTimer = null
  }

  private clearPumpTimer(): void {
    if (this.pumpTimer !== null) clearTimeout(this.pumpTimer)
    this.pumpTimer = null
  }

  private emit(
    type: string,
    init: { data?: unknown; error?: unknown; message?: string } = {},
  ): void {
    const event: Event = { type, target: this, currentTarget: this, ...init }
    this.listeners.dispatch(event, this.handlerFor(type))
  }

  private handlerFor(type: string): ChannelHandler<ChunkedDataChannel> {
    switch (type) {
      case 'open':
        return this.onopen
      case 'close':
        return this.onclose
      case 'message':
        return this.onmessage
      case 'closing':
        return this.onclosing
      case 'error':
        return this.onerror
      case 'bufferedamountlow':
        return this.onbufferedamountlow
      default:
        return null
    }
  }
}
