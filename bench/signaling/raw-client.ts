// A minimal WebSocket client (RFC 6455) for the load generator, on a bare TCP socket.
// Why not `ws`: at 100,000+ deliveries per second the generators, not the servers, ran out of
// CPU first; ws's receiver is a Writable stream that does per-frame bookkeeping a counting
// client does not need. This client only does what the benchmark uses: one handshake, masked
// text frames out, and unfragmented text / ping / close frames in (what both servers send for
// small publishes). Anything else ends the connection with an error rather than being guessed
// at. It is benchmark tooling, not a general client; the product's tests use real y-webrtc and ws.
import { createHash, randomBytes } from 'node:crypto'
import net from 'node:net'

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
const HEADER_END = Buffer.from('\r\n\r\n')

export class RawClient {
  /** Called with each text frame's payload (a view into the read buffer: copy to keep it). */
  onText: (payload: Buffer) => void = () => {}
  onClose: (reason: string) => void = () => {}
  private pending: Buffer | null = null
  private closed = false

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.read(chunk))
    socket.on('error', (error) => this.end(error.message))
    socket.on('close', () => this.end('closed'))
  }

  /** Connects and completes the opening handshake, or rejects with why not. */
  static connect(url: string, timeoutMs: number): Promise<RawClient> {
    const { hostname, port, pathname, search } = new URL(url)
    const key = randomBytes(16).toString('base64')
    const expected = createHash('sha1')
      .update(key + GUID)
      .digest('base64')
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: hostname, port: Number(port) })
      socket.setNoDelay(true)
      const timer = setTimeout(() => fail('handshake timeout'), timeoutMs)
      let head = Buffer.alloc(0)
      const fail = (why: string): void => {
        clearTimeout(timer)
        socket.destroy()
        reject(new Error(why))
      }
      const onData = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk])
        const end = head.indexOf(HEADER_END)
        if (end === -1) return
        socket.off('data', onData)
        socket.off('error', onError)
        clearTimeout(timer)
        const response = head.toString('latin1', 0, end)
        if (!response.startsWith('HTTP/1.1 101') || !response.includes(expected)) {
          return fail(`handshake refused: ${response.split('\r\n')[0] ?? ''}`)
        }
        const client = new RawClient(socket)
        resolve(client)
        const rest = head.subarray(end + HEADER_END.length)
        if (rest.length > 0) client.read(rest)
      }
      const onError = (error: Error): void => fail(error.message)
      socket.on('data', onData)
      socket.on('error', onError)
      socket.write(
        `GET ${pathname}${search} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      )
    })
  }

  /**
   * Sends one text frame. Masked as RFC 6455 requires of clients, with an all-zero key: the
   * bytes are then unchanged, which any server accepts, and the generator skips the XOR.
   */
  send(text: string): void {
    if (this.closed) return
    const length = Buffer.byteLength(text)
    const header = length < 126 ? 6 : length < 0x10000 ? 8 : 14
    const frame = Buffer.allocUnsafe(header + length)
    frame[0] = 0x81
    if (header === 6) frame[1] = 0x80 | length
    else if (header === 8) {
      frame[1] = 0x80 | 126
      frame.writeUInt16BE(length, 2)
    } else {
      frame[1] = 0x80 | 127
      frame.writeBigUInt64BE(BigInt(length), 2)
    }
    frame.writeUInt32BE(0, header - 4)
    frame.write(text, header, 'utf8')
    this.socket.write(frame)
  }

  cork(): void {
    this.socket.cork()
  }

  uncork(): void {
    this.socket.uncork()
  }

  terminate(): void {
    this.socket.destroy()
  }

  private read(chunk: Buffer): void {
    const buffer = this.pending === null ? chunk : Buffer.concat([this.pending, chunk])
    this.pending = null
    let offset = 0
    while (buffer.length - offset >= 2) {
      const first = buffer[offset] as number
      const second = buffer[offset + 1] as number
      const short = second & 0x7f
      const header = short < 126 ? 2 : short === 126 ? 4 : 10
      if (buffer.length - offset < header) break
      const length =
        short < 126
          ? short
          : short === 126
            ? buffer.readUInt16BE(offset + 2)
            : Number(buffer.readBigUInt64BE(offset + 2))
      if (buffer.length - offset < header + length) break
      if ((second & 0x80) !== 0 || (first & 0x80) === 0) {
        return this.end('masked or fragmented frame from the server')
      }
      const payload = buffer.subarray(offset + header, offset + header + length)
      offset += header + length
      switch (first & 0x0f) {
        case 1:
          this.onText(payload)
          break
        case 9: // ping: answer with a pong carrying the same payload
          this.pong(payload)
          break
        case 10:
          break
        case 8:
          return this.end(`close frame ${length >= 2 ? payload.readUInt16BE(0) : ''}`)
        default:
          return this.end(`unexpected opcode ${first & 0x0f}`)
      }
    }
    if (offset < buffer.length) this.pending = buffer.subarray(offset)
    // Keep only the unread tail, not the whole chunk it came in.
    if (this.pending !== null && this.pending.length < buffer.length / 2) {
      this.pending = Buffer.from(this.pending)
    }
  }

  private pong(payload: Buffer): void {
    const frame = Buffer.alloc(6 + payload.length)
    frame[0] = 0x8a
    frame[1] = 0x80 | payload.length
    payload.copy(frame, 6)
    this.socket.write(frame)
  }

  private end(reason: string): void {
    if (this.closed) return
    this.closed = true
    this.socket.destroy()
    this.onClose(reason)
  }
}
