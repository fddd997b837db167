import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'

// A signaling server the test drives by hand: it accepts y-webrtc's WebSocket, records every
// frame the client sends, relays nothing by itself, and publishes only what the test tells it
// to (an announce from a peer that will never answer, say). With it the adapter's timers can be
// stepped through while the signaling side stays under the test's control.

export type Frame = Record<string, unknown>

export class FakeSignaling {
  /** Every frame received, from every connection, in arrival order. */
  readonly frames: Frame[] = []
  private connectionsSeen = 0

  private constructor(
    private readonly server: WebSocketServer,
    readonly url: string,
  ) {
    server.on('connection', (socket: WebSocket) => {
      this.connectionsSeen += 1
      socket.on('message', (data: Buffer, isBinary) => {
        if (isBinary) return
        // y-webrtc's signaling client only ever sends JSON objects.
        this.frames.push(JSON.parse(data.toString('utf8')) as Frame)
      })
    })
  }

  static async start(): Promise<FakeSignaling> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await once(server, 'listening')
    const { port } = server.address() as AddressInfo
    return new FakeSignaling(server, `ws://127.0.0.1:${port}/signal`)
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
