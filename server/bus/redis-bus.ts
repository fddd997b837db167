// The Redis bus (ioredis): instances share topics through Redis pub/sub, one channel per topic
// (`<prefix>t:<topic>`). Two connections, as Redis requires: one in subscriber mode, one for
// PUBLISH. This instance listens to a channel only while it has a local subscriber (the rooms
// reference-count for us). Each message carries its origin instance id so an instance drops its
// own echo: it already delivered that publish to its own clients.
//
// Outages: ioredis reconnects for ever with backoff. While a connection is not ready, publishes
// are dropped (signaling is best effort; y-webrtc re-announces on reconnect) and counted, and
// `ready()` is false, which fails /readyz. On every (re)connect of the subscriber, the set of
// wanted channels is subscribed afresh, so no command ever queues up without bound offline.
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import type { Topic } from '../../src/protocol/signaling'
import type { Logger } from '../log'
import type { Bus, BusEvents } from './bus'

export interface RedisBusOptions {
  readonly url: string
  /** Prefix of every channel name, so several deployments can share one Redis. */
  readonly prefix: string
  readonly log: Logger
  /** How long `connect` waits for the first connection before failing start-up. */
  readonly connectTimeoutMs?: number
}

export class RedisBus implements Bus {
  readonly kind = 'redis'
  /** Distinguishes this instance's own messages when Redis echoes them back. */
  readonly instanceId = randomBytes(9).toString('base64url')
  private readonly publisher: Redis
  private readonly subscriber: Redis
  private readonly wanted = new Set<Topic>()
  private readonly channelPrefix: string
  private events: BusEvents | null = null
  /** Set by close(): ioredis reports 'ready' until its sockets have actually closed. */
  private closed = false

  constructor(private readonly options: RedisBusOptions) {
    const common = {
      lazyConnect: true,
      // Offline commands fail at once instead of queueing without bound.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // We resubscribe ourselves on every ready, from the set of wanted topics.
      autoResubscribe: false,
      retryStrategy: (attempt: number) => Math.min(50 * 2 ** attempt, 2_000),
      connectionName: 'meshpad-signal',
    }
    this.channelPrefix = `${options.prefix}t:`
    // Publishes issued in the same event-loop turn go to Redis as one pipelined write: under
    // fan-out load that is one system call for many publishes instead of one each.
    this.publisher = new Redis(options.url, { ...common, enableAutoPipelining: true })
    this.subscriber = new Redis(options.url, common)
    for (const [role, client] of [
      ['publisher', this.publisher],
      ['subscriber', this.subscriber],
    ] as const) {
      // An ioredis client without an error listener would crash the process on an outage.
      // Log once per outage (ioredis retries every few seconds), and once on recovery.
      let down = false
      client.on('error', (error: Error) => {
        if (!down) options.log.warn({ role, err: error.message }, 'redis unreachable; retrying')
        down = true
        this.events?.error('connection', error)
      })
      client.on('ready', () => {
        if (down) options.log.warn({ role }, 'redis reachable again')
        down = false
      })
    }
    this.subscriber.on('ready', () => this.resubscribe())
    this.subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) =>
      this.onMessage(channel.toString(), message.toString()),
    )
  }

  /**
   * Connects both clients, waiting up to `connectTimeoutMs` (default 10 s) for Redis to become
   * reachable, so a Redis that starts alongside the server is fine; a wrong URL fails start-up
   * with the last error instead of leaving a server that can never be ready.
   */
  async connect(events: BusEvents): Promise<void> {
    this.events = events
    const timeout = this.options.connectTimeoutMs ?? 10_000
    let lastError = 'no answer'
    const onError = (error: Error): void => {
      lastError = error.message
    }
    const clients = [this.publisher, this.subscriber]
    for (const client of clients) client.on('error', onError)
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        Promise.all(
          clients.map(
            (client) =>
              new Promise<void>((resolve) => {
                client.once('ready', () => resolve())
                // Rejections here are retried by ioredis; the 'ready' event is what counts.
                client.connect().catch(() => {})
              }),
          ),
        ),
        new Promise((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(
                  `Redis at ${redact(this.options.url)} not reachable within ${timeout} ms (last error: ${lastError})`,
                ),
              ),
            timeout,
          )
        }),
      ])
    } catch (error) {
      await this.close()
      throw error
    } finally {
      clearTimeout(timer)
      for (const client of clients) client.off('error', onError)
    }
  }

  subscribe(topic: Topic): void {
    if (this.wanted.has(topic)) return
    this.wanted.add(topic)
    if (this.subscriber.status === 'ready') {
      this.subscriber.subscribe(this.channel(topic)).catch((error: Error) => {
        this.events?.error('subscribe', error)
      })
    }
  }

  unsubscribe(topic: Topic): void {
    if (!this.wanted.delete(topic)) return
    if (this.subscriber.status === 'ready') {
      this.subscriber.unsubscribe(this.channel(topic)).catch((error: Error) => {
        this.events?.error('unsubscribe', error)
      })
    }
  }

  async publish(topic: Topic, text: string): Promise<void> {
    if (this.publisher.status !== 'ready') {
      this.events?.error('publish', new Error('redis not ready'))
      return
    }
    try {
      await this.publisher.publish(this.channel(topic), `${this.instanceId}\n${text}`)
    } catch (error) {
      this.events?.error('publish', error instanceof Error ? error : new Error(String(error)))
    }
  }

  ready(): boolean {
    return !this.closed && this.publisher.status === 'ready' && this.subscriber.status === 'ready'
  }

  async close(): Promise<void> {
    this.closed = true
    this.events = null
    this.wanted.clear()
    await Promise.all(
      [this.publisher, this.subscriber].map(async (client) => {
        if (client.status === 'end') return
        try {
          await client.quit()
        } catch {
          client.disconnect()
        }
      }),
    )
  }

  private channel(topic: Topic): string {
    return this.channelPrefix + topic
  }

  private resubscribe(): void {
    if (this.wanted.size === 0) return
    const channels = [...this.wanted].map((topic) => this.channel(topic))
    this.subscriber.subscribe(...channels).catch((error: Error) => {
      this.events?.error('subscribe', error)
    })
  }

  private onMessage(channel: string, message: string): void {
    if (this.events === null || !channel.startsWith(this.channelPrefix)) return
    const newline = message.indexOf('\n')
    if (newline === -1) return
    if (message.slice(0, newline) === this.instanceId) return
    const topic = channel.slice(this.channelPrefix.length) as Topic
    // A late message for a topic we just left is dropped, not delivered to nobody.
    if (!this.wanted.has(topic)) return
    this.events.message({ topic, text: message.slice(newline + 1) })
  }
}

function redact(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    return '<invalid url>'
  }
}
