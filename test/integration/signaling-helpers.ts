// Raw `ws` clients for the signaling integration tests: every message and the close event are
// recorded so tests wait for what a client would observe (a relayed frame, a close code).
import { once } from 'node:events'
import type { Socket } from 'node:net'
import WebSocket from 'ws'
import { waitFor } from '../helpers/wait-for'

export interface Closed {
  readonly code: number
  readonly reason: string
}

export interface TestClient {
  readonly ws: WebSocket
  readonly messages: Record<string, unknown>[]
  /** Set once the connection is closed. */
  closed(): Closed | null
  send(frame: unknown): void
  /** Waits until the server closes this connection; returns its code and reason. */
  waitClosed(timeoutMs?: number): Promise<Closed>
  /** Waits until a received message matches. */
  waitMessage(what: string, match: (m: Record<string, unknown>) => boolean): Promise<unknown>
  /** Stops reading from the socket, as a client that never reads (backpressure). */
  pause(): void
  resume(): void
  close(): Promise<void>
}

export async function connect(
  signalUrl: string,
  options: WebSocket.ClientOptions & { record?: boolean; maxRecordBytes?: number } = {},
): Promise<TestClient> {
  const { record = true, maxRecordBytes = Infinity, ...wsOptions } = options
  const ws = new WebSocket(signalUrl, wsOptions)
  const messages: Record<string, unknown>[] = []
  let closed: Closed | null = null
  ws.on('message', (data, isBinary) => {
    if (!record || isBinary || byteLength(data) > maxRecordBytes) return
    messages.push(JSON.parse(textOf(data)) as Record<string, unknown>)
  })
  ws.on('error', () => {}) // the close event carries what the tests check
  ws.on('close', (code, reason) => (closed = { code, reason: reason.toString() }))
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('close', (code) => reject(new Error(`closed before open with ${code}`)))
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`upgrade refused: ${res.statusCode}`)),
    )
  })
  const socket = (): Socket => (ws as unknown as { _socket: Socket })._socket
  return {
    ws,
    messages,
    closed: () => closed,
    send: (frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    waitClosed: (timeoutMs = 15_000) =>
      waitFor('connection closed by server', () => closed, { timeoutMs }),
    waitMessage: (what, match) => waitFor(what, () => messages.find(match)),
    pause: () => socket().pause(),
    resume: () => socket().resume(),
    async close() {
      if (ws.readyState === WebSocket.CLOSED) return
      const done = once(ws, 'close')
      ws.close()
      await done
    },
  }
}

function textOf(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.from(data as ArrayBuffer).toString('utf8')
}

function byteLength(data: WebSocket.RawData): number {
  return Array.isArray(data)
    ? data.reduce((sum, chunk) => sum + chunk.byteLength, 0)
    : data.byteLength
}

/**
 * Subscribes and waits until the server has processed it: frames on one connection are handled
 * in order, so the pong that answers a ping sent after the subscribe proves the subscription.
 */
export async function subscribe(client: TestClient, topics: string[]): Promise<void> {
  const pongs = client.messages.filter((m) => m['type'] === 'pong').length
  client.send({ type: 'subscribe', topics })
  client.send({ type: 'ping' })
  await waitFor(
    'subscription confirmed by a pong',
    () => client.messages.filter((m) => m['type'] === 'pong').length > pongs,
  )
}

let sequence = 0

/**
 * Proves a well-behaved pair of clients still works: one publishes, the other receives it
 * relayed, and a ping is answered.
 */
export async function assertRoomWorks(a: TestClient, b: TestClient, topic: string): Promise<void> {
  const n = ++sequence
  a.send({ type: 'publish', topic, data: { n } })
  await b.waitMessage(
    `publish ${n} relayed`,
    (m) => m['topic'] === topic && (m['data'] as { n?: number } | undefined)?.n === n,
  )
  a.send({ type: 'ping' })
  const pongs = a.messages.filter((m) => m['type'] === 'pong').length
  await waitFor('pong', () => a.messages.filter((m) => m['type'] === 'pong').length > pongs)
}

/** Reads one metric sample's value from Prometheus text, 0 when absent. */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number {
  let total = 0
  let found = false
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line)
    if (match === null || match[1] !== name) continue
    const labelText = match[2] ?? ''
    if (Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) {
      total += Number(match[3])
      found = true
    }
  }
  return found ? total : 0
}
