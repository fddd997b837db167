import {
  decodeServerMessage,
  encodeClientMessage,
  storeCloseReasonOf,
  type ClientMessage,
  type ServerMessage,
  type StoreCloseReason,
} from '../../protocol/always-on'

// The WebSocket to one always-on peer, kept open: it reconnects with a capped, jittered backoff
// (a fleet of browsers must not return all at once after a restart) and stops for good only on a
// close that retrying cannot mend: a protocol version this build does not speak (the app must
// reload) or a topic the peer refuses. Frames the peer sends that do not parse are dropped and
// reported; they never reach the document.

/** The part of the WebSocket API used here: the browser's own, or `ws` in Node. */
export interface SocketLike {
  binaryType: string
  readonly readyState: number
  send(data: Uint8Array): void
  close(code?: number, reason?: string): void
  onopen: ((event: unknown) => void) | null
  onclose: ((event: { code: number; reason: string }) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onerror: ((event: unknown) => void) | null
}
export type SocketFactory = (url: string) => SocketLike

export interface StoreLinkHandlers {
  /** The socket is open: send the hello. */
  open(): void
  message(message: ServerMessage): void
  /** The socket closed; `fatal` when no reconnect will follow. */
  closed(reason: StoreCloseReason | undefined, fatal: boolean): void
  malformed(detail: string): void
}

const OPEN = 1
const FIRST_RETRY_MS = 500
const MAX_RETRY_MS = 15_000
const FATAL: ReadonlySet<StoreCloseReason> = new Set(['unsupported-version', 'bad-topic'])

export function browserSocket(url: string): SocketLike {
  return new WebSocket(url) as unknown as SocketLike
}

export class StoreLink {
  private socket: SocketLike | null = null
  private retry: ReturnType<typeof setTimeout> | null = null
  private attempts = 0
  private running = false
  private stopped = false

  constructor(
    readonly url: string,
    private readonly factory: SocketFactory,
    private readonly handlers: StoreLinkHandlers,
  ) {}

  get isOpen(): boolean {
    return this.socket?.readyState === OPEN
  }

  start(): void {
    if (this.running || this.stopped) return
    this.running = true
    this.connect()
  }

  /** Closes the socket and stops reconnecting until `start` again. */
  pause(): void {
    this.running = false
    if (this.retry) clearTimeout(this.retry)
    this.retry = null
    const socket = this.socket
    this.socket = null
    if (socket) {
      socket.onclose = null
      socket.onmessage = null
      socket.close(1000, 'paused')
      this.handlers.closed(undefined, false)
    }
  }

  /** Stops for good. */
  stop(): void {
    this.pause()
    this.stopped = true
  }

  /** Drops the connection and reconnects at once: used to resynchronise after a gap. */
  restart(): void {
    if (!this.running) return
    this.pause()
    this.running = true
    this.connect()
  }

  send(message: ClientMessage): boolean {
    if (!this.isOpen || !this.socket) return false
    this.socket.send(encodeClientMessage(message))
    return true
  }

  private connect(): void {
    let socket: SocketLike
    try {
      socket = this.factory(this.url)
    } catch {
      this.scheduleRetry()
      return
    }
    this.socket = socket
    socket.binaryType = 'arraybuffer'
    socket.onopen = () => {
      this.attempts = 0
      this.handlers.open()
    }
    socket.onmessage = (event) => {
      const data = event.data
      if (!(data instanceof ArrayBuffer) && !ArrayBuffer.isView(data)) {
        this.handlers.malformed('text frame')
        return
      }
      const bytes =
        data instanceof ArrayBuffer
          ? new Uint8Array(data)
          : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      const parsed = decodeServerMessage(bytes)
      if (parsed.ok) this.handlers.message(parsed.value)
      else this.handlers.malformed(`${parsed.reason}: ${parsed.detail}`)
    }
    socket.onerror = () => {
      // A close event always follows; it decides what happens next.
    }
    socket.onclose = (event) => {
      if (this.socket !== socket) return
      this.socket = null
      const reason = storeCloseReasonOf(event.code)
      const fatal = reason !== undefined && FATAL.has(reason)
      this.handlers.closed(reason, fatal)
      if (fatal) {
        this.running = false
        return
      }
      this.scheduleRetry()
    }
  }

  private scheduleRetry(): void {
    if (!this.running) return
    const base = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** this.attempts)
    this.attempts += 1
    const delay = base / 2 + Math.random() * (base / 2)
    this.retry = setTimeout(() => {
      this.retry = null
      if (this.running) this.connect()
    }, delay)
  }
}
