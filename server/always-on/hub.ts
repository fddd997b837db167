// The always-on peer's endpoint (rules STORE-1..12): accepts WebSocket upgrades at /store, keeps
// who is subscribed to which document, forwards stored and ephemeral entries live to the others
// (relay, for browsers that cannot reach each other over WebRTC), shares that relay with other
// instances through the bus, and expires documents past the retention period.
//
// Frames from the bus are untrusted like any input (another process on the same Redis, or a
// signaling client publishing to a colliding channel name): each is parsed and its entry's
// signature checked against the document's verify key before any subscriber sees it.
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import { decodeServerMessage, STORE_CLOSE_CODES, STORE_PATH } from '../../src/protocol/always-on'
import { parseEntry, verifyEntry } from '../../src/protocol/entry'
import type { Topic } from '../../src/protocol/signaling'
import type { Bus } from '../bus/bus'
import type { ServerConfig } from '../config'
import type { Logger } from '../log'
import { nodeVerify } from './ed25519'
import { StoreConnection, type RelayKind, type StoreSubscriber } from './connection'
import type { StoreMetrics } from './metrics'
import type { EntryStore } from './store'
import { clientAddress } from '../signaling/hub'

interface Room {
  readonly verifyKey: Uint8Array
  readonly subscribers: Set<StoreSubscriber>
  /** A tombstone was seen for the topic (stored here, read at a hello, or relayed). */
  moved: boolean
}

const DAY_MS = 24 * 60 * 60 * 1000
/** How often documents past the retention period are looked for. */
const EXPIRE_EVERY_MS = 60 * 60 * 1000

export class AlwaysOnHub {
  private readonly wss: WebSocketServer
  private readonly connections = new Set<StoreConnection>()
  private readonly perAddress = new Map<string, number>()
  private readonly rooms = new Map<string, Room>()
  private readonly heartbeat: NodeJS.Timeout
  private readonly expiry: NodeJS.Timeout | null
  private nextId = 1
  private stopping = false

  constructor(
    private readonly ctx: {
      readonly config: ServerConfig
      readonly store: EntryStore
      readonly bus: Bus
      readonly metrics: StoreMetrics
      readonly log: Logger
    },
  ) {
    const { config } = ctx
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      // A put carries one entry plus a few bytes of framing; anything larger is refused unread.
      maxPayload: config.storeMaxEntryBytes + 64,
      perMessageDeflate: false,
    })
    this.heartbeat = setInterval(() => {
      for (const connection of this.connections) connection.heartbeat()
    }, config.idleTimeoutMs)
    this.heartbeat.unref()
    this.expiry =
      config.retentionDays > 0 ? setInterval(() => void this.expire(), EXPIRE_EVERY_MS) : null
    this.expiry?.unref()
    ctx.metrics.observeConnections(() => this.connections.size)
  }

  get connectionCount(): number {
    return this.connections.size
  }

  handles(path: string): boolean {
    return path === STORE_PATH
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.stopping) {
      socket.end(
        'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
      )
      return
    }
    socket.on('error', () => socket.destroy())
    const address = clientAddress(request, this.ctx.config.trustProxy)
    this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, address))
  }

  private accept(ws: WebSocket, address: string): void {
    const { config, log } = this.ctx
    ws.on('error', (error: Error & { code?: string }) => {
      // ws has closed the socket with the standard code (1009 too large, 1007 bad UTF-8, ...).
      this.ctx.metrics.rejections.inc({
        reason: error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'too-large' : 'bad-frame',
      })
      log.info({ code: error.code }, 'store connection failed')
    })
    const fromAddress = this.perAddress.get(address) ?? 0
    const full = this.connections.size >= config.maxConnections
    if (full || fromAddress >= config.maxConnectionsPerIp) {
      const detail = full ? 'server-full' : 'per-address'
      this.ctx.metrics.rejections.inc({ reason: 'too-many-connections' })
      ws.close(STORE_CLOSE_CODES['too-many-connections'], `too-many-connections: ${detail}`)
      return
    }
    this.perAddress.set(address, fromAddress + 1)
    ws.once('close', () => {
      const left = (this.perAddress.get(address) ?? 1) - 1
      if (left <= 0) this.perAddress.delete(address)
      else this.perAddress.set(address, left)
    })
    const connection = new StoreConnection(this.nextId++, ws, {
      config,
      store: this.ctx.store,
      metrics: this.ctx.metrics,
      log,
      join: (topic, verifyKey, subscriber) => this.join(topic, verifyKey, subscriber),
      leave: (topic, subscriber) => this.leave(topic, subscriber),
      relay: (topic, frame, kind, from) => this.relay(topic, frame, kind, from),
      isMoved: (topic) => this.rooms.get(topic)?.moved ?? false,
      markMoved: (topic) => {
        const room = this.rooms.get(topic)
        if (room) room.moved = true
      },
    })
    this.connections.add(connection)
    ws.once('close', () => this.connections.delete(connection))
  }

  private join(topic: string, verifyKey: Uint8Array, subscriber: StoreSubscriber): void {
    let room = this.rooms.get(topic)
    if (room === undefined) {
      room = { verifyKey, subscribers: new Set(), moved: false }
      this.rooms.set(topic, room)
      this.ctx.bus.subscribe(topic as Topic)
    }
    room.subscribers.add(subscriber)
  }

  private leave(topic: string, subscriber: StoreSubscriber): void {
    const room = this.rooms.get(topic)
    if (room === undefined) return
    room.subscribers.delete(subscriber)
    if (room.subscribers.size === 0) {
      this.rooms.delete(topic)
      this.ctx.bus.unsubscribe(topic as Topic)
    }
  }

  private relay(
    topic: string,
    frame: Uint8Array,
    kind: RelayKind,
    from: StoreSubscriber | null,
  ): void {
    const room = this.rooms.get(topic)
    if (room && kind === 'tombstone') room.moved = true
    for (const subscriber of room?.subscribers ?? []) {
      if (subscriber === from) continue
      subscriber.deliver(frame)
      this.ctx.metrics.relayed.inc({ kind })
    }
    if (from !== null)
      void this.ctx.bus.publish(topic as Topic, Buffer.from(frame).toString('base64'))
  }

  /** A frame another instance relayed through the bus. */
  deliverRemote(topic: string, text: string): void {
    const room = this.rooms.get(topic)
    if (room === undefined) return
    const frame = new Uint8Array(Buffer.from(text, 'base64'))
    const message = decodeServerMessage(frame)
    if (!message.ok || (message.value.type !== 'entry' && message.value.type !== 'ephemeral')) {
      this.ctx.log.warn('dropped a malformed store frame from the bus')
      return
    }
    const entry = parseEntry(message.value.entry, this.ctx.config.storeMaxEntryBytes)
    if (!entry.ok || !verifyEntry(entry.value, topic, room.verifyKey, nodeVerify)) {
      this.ctx.log.warn('dropped a store frame from the bus that is not signed by the document key')
      return
    }
    const kind = entry.value.kind === 'tombstone' ? 'tombstone' : message.value.type
    this.relay(topic, frame, kind, null)
  }

  async expire(now = Date.now()): Promise<number> {
    if (this.ctx.config.retentionDays <= 0) return 0
    try {
      const dropped = await this.ctx.store.expire(
        new Date(now - this.ctx.config.retentionDays * DAY_MS),
      )
      if (dropped > 0) this.ctx.log.info({ dropped }, 'expired documents past the retention period')
      return dropped
    } catch (error) {
      this.ctx.log.error({ err: error }, 'expiry failed')
      return 0
    }
  }

  async shutdown(timeoutMs: number): Promise<void> {
    this.stopping = true
    clearInterval(this.heartbeat)
    if (this.expiry) clearInterval(this.expiry)
    for (const connection of this.connections) connection.close('going-away')
    const deadline = Date.now() + timeoutMs
    while (this.connections.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    await new Promise<void>((resolve) => this.wss.close(() => resolve()))
  }
}
