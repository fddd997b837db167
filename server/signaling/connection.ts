// One signaling client connection: rate limit, parse, act, relay with a backpressure bound.
// Every violation closes this connection only, with a reason from the closed set in
// src/protocol/close-codes.ts, and is counted. Payloads and topics are never logged.
import type { Duplex } from 'node:stream'
import { WebSocket, type RawData } from 'ws'
import { CLOSE_CODES, closeText, type CloseReason } from '../../src/protocol/close-codes'
import { parseClientFrame, PONG_TEXT, type Topic } from '../../src/protocol/signaling'
import type { ServerConfig } from '../config'
import type { Logger } from '../log'
import type { Metrics } from '../metrics'
import type { TextFrame } from './frame'
import type { Rooms, Subscriber } from './rooms'
import { TokenBucket } from './token-bucket'
import type { WriteBatcher } from './write-batch'

export interface ConnectionContext {
  readonly config: ServerConfig
  readonly rooms: Rooms
  readonly metrics: Metrics
  readonly log: Logger
  /** Shared by every connection of the hub: one uncork pass per event-loop turn. */
  readonly batcher: WriteBatcher
}

export class SignalingConnection implements Subscriber {
  private readonly topics = new Set<Topic>()
  private readonly bucket: TokenBucket
  private closing = false
  /** Cleared by each heartbeat's ping, set by the pong; still false at the next beat = dead. */
  private answeredPing = true

  constructor(
    readonly id: number,
    private readonly ws: WebSocket,
    /**
     * The upgraded TCP socket ws runs on. Relayed frames are written to it directly (see
     * deliver); everything else (pongs, pings, close frames) goes through ws.
     */
    private readonly socket: Duplex,
    private readonly ctx: ConnectionContext,
  ) {
    const { rateLimitBurst, rateLimitPerSecond } = ctx.config
    this.bucket = new TokenBucket(rateLimitBurst, rateLimitPerSecond, performance.now())
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary))
    ws.on('pong', () => (this.answeredPing = true))
  }

  get topicCount(): number {
    return this.topics.size
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.closing) return
    try {
      this.handle(data, isBinary)
    } catch (error) {
      // A bug, not a peer fault: log it loudly, but cost only this connection.
      this.ctx.log.error({ conn: this.id, err: error }, 'signaling handler failed')
      this.close('internal-error')
    }
  }

  private handle(data: RawData, isBinary: boolean): void {
    const { metrics, config, rooms } = this.ctx
    const buffer = Buffer.isBuffer(data)
      ? data
      : Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.from(data)
    metrics.bytesIn.inc(buffer.byteLength)
    if (!this.bucket.take(performance.now())) {
      metrics.framesIn.inc({ type: 'invalid' })
      return this.close('rate-limited')
    }
    if (isBinary) {
      metrics.framesIn.inc({ type: 'invalid' })
      return this.close('bad-frame', 'binary-frame')
    }
    const parsed = parseClientFrame(buffer.toString('utf8'), {
      maxTopicsPerFrame: config.maxTopicsPerConnection,
      maxTopicLength: config.maxTopicLength,
    })
    if (!parsed.ok) {
      metrics.framesIn.inc({ type: 'invalid' })
      if (parsed.error === 'too-many-topics') return this.close('too-many-topics')
      return this.close('bad-frame', parsed.error)
    }
    const frame = parsed.frame
    metrics.framesIn.inc({ type: frame.type })
    switch (frame.type) {
      case 'subscribe':
        for (const topic of frame.topics) {
          if (this.topics.has(topic)) continue
          if (this.topics.size >= config.maxTopicsPerConnection)
            return this.close('too-many-topics')
          this.topics.add(topic)
          rooms.subscribe(this, topic)
        }
        return
      case 'unsubscribe':
        for (const topic of frame.topics) {
          if (this.topics.delete(topic)) rooms.unsubscribe(this, topic)
        }
        return
      case 'publish':
        // An empty topic is dropped, as y-webrtc's own server ignores it.
        if (frame.topic !== null) rooms.publish(frame.topic, frame.text)
        return
      case 'ping':
        return this.send(PONG_TEXT)
    }
  }

  deliver(frame: TextFrame): boolean {
    // Once ws has seen or sent a close frame, nothing more may follow it on the wire.
    if (this.closing || this.ws.readyState !== WebSocket.OPEN) return false
    // Bound what is queued for this client: a subscriber that does not read is dropped rather
    // than buffered without limit. The queue can exceed the bound by at most one frame.
    if (this.socket.writableLength > this.ctx.config.maxBufferedBytes) {
      this.close('slow-consumer')
      return false
    }
    // The complete frame, shared with every other subscriber, straight onto the socket. Safe
    // beside ws's own writes because ws runs without extensions here: it writes each of its
    // frames whole and synchronously, so frames never interleave mid-frame.
    this.ctx.batcher.write(this.socket, frame.wire)
    return true
  }

  /** Sends a text frame of this connection's own (a pong) through ws. */
  private send(text: string): void {
    this.ctx.metrics.framesOut.inc()
    this.ctx.metrics.bytesOut.inc(Buffer.byteLength(text))
    this.ws.send(text, { binary: false })
  }

  /** Called by the hub every idle interval. */
  heartbeat(): void {
    if (this.closing) return
    if (!this.answeredPing) return this.close('idle-timeout')
    this.answeredPing = false
    this.ws.ping()
  }

  /**
   * Closes with a reason from the closed set, leaves every room at once (so nothing more is
   * queued for it), and cuts the socket if the close handshake does not finish in time.
   */
  close(reason: CloseReason, detail?: string): void {
    if (this.closing) return
    this.closing = true
    this.leaveAll()
    if (reason !== 'going-away') {
      this.ctx.metrics.rejections.inc({ reason, detail: detail ?? reason })
      this.ctx.log.info({ conn: this.id, reason, detail }, 'closing signaling connection')
    }
    closeSocket(this.ws, reason, detail, this.ctx.config.closeTimeoutMs)
  }

  /** The socket is closed, by either side: release everything this connection held. */
  closed(): void {
    this.closing = true
    this.leaveAll()
  }

  private leaveAll(): void {
    for (const topic of this.topics) this.ctx.rooms.unsubscribe(this, topic)
    this.topics.clear()
  }
}

/** Starts the close handshake and terminates the socket if it is not done within `timeoutMs`. */
export function closeSocket(
  ws: WebSocket,
  reason: CloseReason,
  detail: string | undefined,
  timeoutMs: number,
): void {
  ws.close(CLOSE_CODES[reason], closeText(reason, detail))
  const timer = setTimeout(() => ws.terminate(), timeoutMs)
  timer.unref()
  ws.once('close', () => clearTimeout(timer))
}
