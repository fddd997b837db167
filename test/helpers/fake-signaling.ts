import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'

// A signaling server the test drives by hand: it accepts y-webrtc's WebSocket, records every
// frame the client sends, relays nothing by itself (unless told to `join` two topics), and
// publishes what the test tells it to (an announce from a peer that will never answer, say). With it the adapter's timers can be
// stepped through while the signaling side stays under the test's control.

export type Frame = Record<string, unknown>

export class FakeSignaling {
  /** Every frame received, from every connection, in arrival order. */
  readonly frames: Frame[] = []
  private connectionsSeen = 0
  /** Topics joined by `join`: a publish on one reaches every client on the other. */
  private readonly joined = new Map<string, string>()

  private constructor(
    private readonly server: WebSocketServer,
    readonly url: string,
  ) {
    server.on('connection', (socket: WebSocket) => {
      this.connectionsSeen += 1
      socket.on('message', (data: Buffer, isBinary) => {
        if (isBinary) return
        // y-webrtc's signaling client only ever sends JSON objects.
        const frame = JSON.parse(data.toString('utf8')) as Frame
        this.frames.push(frame)
        const to = frame['type'] === 'publish' ? this.joined.get(String(frame['topic'])) : undefined
        if (to !== undefined) this.publish(to, frame['data'] as Frame)
      })
    })
  }

  static async start(): Promise<FakeSignaling> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await once(server, 'listening')
    const { port } = server.address() as AddressInfo
    return new FakeSignaling(server, `ws://127.0.0.1:${port}/signal`)
  }

  /**
   * Relays publishes between two topics, both ways, like the real server does within one. Two
   * adapters in one process cannot share a room (y-webrtc keeps one per name), so each takes its
   * own and the server joins them; without a room password the frames are plain, so it can.
   */
  join(a: string, b: string): void {
    this.joined.set(a, b)
    this.joined.set(b, a)
  }

  /** WebSocket connections accepted so far. */
  get connections(): number {
    return this.connectionsSeen
  }

  subscribed(topic: string): boolean {
    return this.frames.some(
      (frame) =>
        frame['type'] === 'subscribe' &&
        Array.isArray(frame['topics']) &&
        frame['topics'].includes(topic),
    )
  }

  /**
   * The `data` of every publish on `topic`: y-webrtc's announce and signal messages, as objects
   * without a room password, as encrypted base64 strings with one.
   */
  published(topic: string): unknown[] {
    return this.frames
      .filter((frame) => frame['type'] === 'publish' && frame['topic'] === topic)
      .map((frame) => frame['data'])
  }

  /** The plain (unencrypted) messages published on `topic` whose `type` is `type`. */
  plain(topic: string, type: string): Frame[] {
    return this.published(topic).filter(
      (data): data is Frame =>
        typeof data === 'object' && data !== null && (data as Frame)['type'] === type,
    )
  }

  /** Sends a publish to every connected client, as a relay of another peer's message. */
  publish(topic: string, data: Frame): void {
    const text = JSON.stringify({ type: 'publish', topic, data })
    for (const client of this.server.clients) client.send(text)
  }

  /** Drops every client and stops listening, so reconnecting clients are refused. */
  async stop(): Promise<void> {
    for (const client of this.server.clients) client.terminate()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}
