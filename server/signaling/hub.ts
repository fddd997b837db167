// The signaling endpoint: accepts WebSocket upgrades at /signal, enforces the connection limits
// (per address and per instance), runs the heartbeat that finds dead connections, and shuts
// down gracefully. One heartbeat timer serves every connection, so 10,000 idle connections cost
// no timers of their own.
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import { SIGNALING_PATH } from '../../src/protocol/limits'
import { closeSocket, SignalingConnection, type ConnectionContext } from './connection'
import { WriteBatcher } from './write-batch'

/** ws's own error codes for framing violations, mapped into our closed set for counting. */
const WS_ERRORS: Record<string, 'too-large' | 'invalid-utf8' | 'protocol-error'> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 'too-large',
  WS_ERR_INVALID_UTF8: 'invalid-utf8',
}

export class SignalingHub {
  private readonly wss: WebSocketServer
  private readonly connections = new Set<SignalingConnection>()
  private readonly sockets = new Set<WebSocket>()
  private readonly perAddress = new Map<string, number>()
  private readonly heartbeat: NodeJS.Timeout
  private nextId = 1
  private stopping = false
  private readonly ctx: ConnectionContext

  constructor(context: Omit<ConnectionContext, 'batcher'>) {
    const ctx = (this.ctx = { ...context, batcher: new WriteBatcher() })
    const { config } = ctx
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      // Frames larger than this are refused from their header, never buffered (1009 too-large).
      maxPayload: config.maxFrameBytes,
      // Compression costs memory per connection and invites decompression bombs.
      perMessageDeflate: false,
    })
    this.heartbeat = setInterval(() => {
      for (const connection of this.connections) connection.heartbeat()
    }, config.idleTimeoutMs)
    this.heartbeat.unref()
  }

  get connectionCount(): number {
    return this.sockets.size
  }

  get addressCount(): number {
    return this.perAddress.size
  }

  /** Handles an HTTP upgrade request; anything but /signal is refused. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (request.url ?? '').split('?')[0]
    if (path !== SIGNALING_PATH || this.stopping) {
      const status = this.stopping ? '503 Service Unavailable' : '404 Not Found'
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
      return
    }
    // A module-level listener, not a closure: a closure here would share this call's scope
    // with the callback below and so keep the whole upgrade request (headers and all, about
    // 1.1 KiB) alive for as long as the socket lives.
    socket.on('error', destroySocket)
    this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, request, socket))
  }

  private accept(ws: WebSocket, request: IncomingMessage, socket: Duplex): void {
    const { config, metrics, log } = this.ctx
    metrics.connectionsAccepted.inc()
    const address = clientAddress(request, config.trustProxy)
    const fromAddress = this.perAddress.get(address) ?? 0
    ws.on('error', (error: Error & { code?: string }) => {
      const reason = WS_ERRORS[error.code ?? ''] ?? 'protocol-error'
      // ws has already closed the socket with the matching standard code; count it.
      metrics.rejections.inc({ reason, detail: reason })
      log.info({ reason, code: error.code }, 'signaling connection failed')
    })
    // Over a limit: accept, then close at once, so the client learns why (an HTTP refusal of
    // the upgrade reaches browser code only as a bare error).
    if (
      this.stopping ||
      this.sockets.size >= config.maxConnections ||
      fromAddress >= config.maxConnectionsPerIp
    ) {
      const detail = this.stopping
        ? undefined
        : this.sockets.size >= config.maxConnections
          ? 'server-full'
          : 'per-address'
      if (detail !== undefined) metrics.rejections.inc({ reason: 'too-many-connections', detail })
      closeSocket(
        ws,
        this.stopping ? 'going-away' : 'too-many-connections',
        detail,
        config.closeTimeoutMs,
      )
      return
    }
    this.perAddress.set(address, fromAddress + 1)
    this.sockets.add(ws)
    const connection = new SignalingConnection(this.nextId++, ws, socket, this.ctx)
    this.connections.add(connection)
    ws.once('close', () => {
      connection.closed()
      this.connections.delete(connection)
      this.sockets.delete(ws)
      const left = (this.perAddress.get(address) ?? 1) - 1
      if (left <= 0) this.perAddress.delete(address)
      else this.perAddress.set(address, left)
    })
  }

  /**
   * Graceful shutdown: refuse new connections, close every client with 1001 going-away, wait
   * for them to finish closing up to `timeoutMs`, then cut whatever is left.
   */
  async shutdown(timeoutMs: number): Promise<void> {
    this.stopping = true
    clearInterval(this.heartbeat)
    for (const connection of this.connections) connection.close('going-away')
    const deadline = Date.now() + timeoutMs
    while (this.sockets.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    for (const ws of this.sockets) ws.terminate()
    await new Promise<void>((resolve) => this.wss.close(() => resolve()))
  }
}

function destroySocket(this: Duplex): void {
  this.destroy()
}

/**
 * The address connection limits count by. Behind a trusted proxy it is the last
 * X-Forwarded-For entry: the one that proxy appended, which a client cannot forge.
 */
export function clientAddress(request: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const header = request.headers['x-forwarded-for']
    const value = Array.isArray(header) ? header[header.length - 1] : header
    const last = value?.split(',').pop()?.trim()
    if (last !== undefined && last !== '') return last
  }
  return request.socket.remoteAddress ?? 'unknown'
}
