// The abuse battery, shared by the child-process abuse suite (signaling-abuse.test.ts) and the
// in-process memory test (signaling-memory.test.ts). Each case attacks the server the way one
// bad client would and asserts that exactly that client is closed with the right code/reason.
import { once } from 'node:events'
import net from 'node:net'
import { expect } from 'vitest'
import { CLOSE_CODES, closeReasonOf } from '../../src/protocol/close-codes'
import { waitFor } from '../helpers/wait-for'
import { connect, subscribe, type Closed, type TestClient } from './signaling-helpers'

/** Limits the abuse server runs with: small enough that each abuse trips them quickly. */
export const ABUSE_LIMITS = {
  maxFrameBytes: 64 * 1024,
  maxTopicsPerConnection: 20,
  rateLimitPerSecond: 50,
  rateLimitBurst: 100,
  maxConnectionsPerIp: 60,
  maxBufferedBytes: 256 * 1024,
  closeTimeoutMs: 5_000,
} as const

export const ABUSE_ENV: Record<string, string> = {
  MAX_FRAME_BYTES: String(ABUSE_LIMITS.maxFrameBytes),
  MAX_TOPICS_PER_CONNECTION: String(ABUSE_LIMITS.maxTopicsPerConnection),
  RATE_LIMIT_PER_SECOND: String(ABUSE_LIMITS.rateLimitPerSecond),
  RATE_LIMIT_BURST: String(ABUSE_LIMITS.rateLimitBurst),
  MAX_CONNECTIONS_PER_IP: String(ABUSE_LIMITS.maxConnectionsPerIp),
  MAX_BUFFERED_BYTES: String(ABUSE_LIMITS.maxBufferedBytes),
  CLOSE_TIMEOUT_MS: String(ABUSE_LIMITS.closeTimeoutMs),
}

export interface AbuseTarget {
  readonly signalUrl: string
  readonly port: number
  /** meshpad_rejections_total for a reason, as the server counts it. */
  rejections(reason: string): Promise<number>
  /** Open connections as the server counts them. */
  connections(): Promise<number>
}

function expectClosed(closed: Closed, reason: keyof typeof CLOSE_CODES, detail?: string): void {
  expect(closed.code).toBe(CLOSE_CODES[reason])
  expect(closeReasonOf(closed.code)).toBe(reason)
  // ws itself sends the 1xxx framing closes, without a reason text.
  if (closed.code >= 4000)
    expect(closed.reason).toBe(detail === undefined ? reason : `${reason}: ${detail}`)
}

async function sendAndExpectClose(
  target: AbuseTarget,
  frame: string | Buffer,
  reason: keyof typeof CLOSE_CODES,
  detail?: string,
): Promise<void> {
  const client = await connect(target.signalUrl)
  client.ws.send(frame, { binary: Buffer.isBuffer(frame) })
  expectClosed(await client.waitClosed(), reason, detail)
}

export type AbuseCase = readonly [name: string, run: (target: AbuseTarget) => Promise<void>]

export const ABUSE_CASES: readonly AbuseCase[] = [
  [
    '[SIG-3] malformed JSON',
    (t) => sendAndExpectClose(t, '{"type":"subscribe","topics":[', 'bad-frame', 'malformed-json'),
  ],
  [
    '[SIG-3] a JSON value that is not an object',
    (t) => sendAndExpectClose(t, '[1,2,3]', 'bad-frame', 'not-an-object'),
  ],
  [
    '[SIG-3] binary garbage in a binary frame',
    (t) =>
      sendAndExpectClose(
        t,
        Buffer.from([0, 1, 2, 255, 254, 7, 13, 10]),
        'bad-frame',
        'binary-frame',
      ),
  ],
  [
    '[SIG-3] an unknown message type',
    (t) => sendAndExpectClose(t, '{"type":"exec","cmd":"rm -rf /"}', 'bad-frame', 'unknown-type'),
  ],
  [
    '[SIG-3] topics of the wrong type',
    (t) => sendAndExpectClose(t, '{"type":"subscribe","topics":"room"}', 'bad-frame', 'bad-field'),
  ],
  [
    '[SIG-3] a topic that is a number',
    (t) => sendAndExpectClose(t, '{"type":"subscribe","topics":[42]}', 'bad-frame', 'bad-field'),
  ],
  [
    '[SIG-3] a publish without a topic',
    (t) => sendAndExpectClose(t, '{"type":"publish","data":{}}', 'bad-frame', 'bad-field'),
  ],
  [
    '[SIG-3] a type that is not a string',
    (t) => sendAndExpectClose(t, '{"type":{"$ne":null}}', 'bad-frame', 'bad-field'),
  ],
  [
    '[SIG-5] an oversized frame (1 MiB against a 64 KiB limit)',
    (t) =>
      sendAndExpectClose(
        t,
        JSON.stringify({ type: 'publish', topic: 'big', data: 'x'.repeat(1024 * 1024) }),
        'too-large',
      ),
  ],
  [
    'invalid WebSocket framing (raw garbage on the socket)',
    async (t) => {
      const client = await connect(t.signalUrl)
      const socket = (client.ws as unknown as { _socket: net.Socket })._socket
      socket.write(Buffer.alloc(64, 0xff)) // RSV bits set, reserved opcode: not a frame
      expectClosed(await client.waitClosed(), 'protocol-error')
    },
  ],
  [
    'garbage instead of an HTTP handshake',
    async (t) => {
      const socket = net.connect(t.port, '127.0.0.1')
      socket.on('error', () => {})
      await once(socket, 'connect')
      socket.write('\x00\x01\x02 not http at all\r\n\r\n')
      await waitFor(
        'server drops the garbage connection',
        () => socket.destroyed || socket.readableEnded,
      )
      socket.destroy()
    },
  ],
  [
    '[SIG-6] a topic flood in one frame',
    (t) =>
      sendAndExpectClose(
        t,
        JSON.stringify({
          type: 'subscribe',
          topics: Array.from({ length: 5000 }, (_, i) => `flood-${i}`),
        }),
        'too-many-topics',
      ),
  ],
  [
    '[SIG-6] a topic flood over many frames',
    async (t) => {
      const client = await connect(t.signalUrl)
      for (let i = 0; i < 10 && client.closed() === null; i++) {
        client.send({
          type: 'subscribe',
          topics: Array.from({ length: 5 }, (_, j) => `many-${i}-${j}`),
        })
      }
      expectClosed(await client.waitClosed(), 'too-many-topics')
    },
  ],
  [
    '[SIG-7] a publish flood',
    async (t) => {
      const client = await connect(t.signalUrl)
      const frame = JSON.stringify({ type: 'publish', topic: 'flood-room', data: 'x'.repeat(100) })
      for (let i = 0; i < ABUSE_LIMITS.rateLimitBurst * 3; i++) client.ws.send(frame)
      expectClosed(await client.waitClosed(), 'rate-limited')
    },
  ],
  [
    `[SIG-8] 300 connections from one address (limit ${ABUSE_LIMITS.maxConnectionsPerIp})`,
    async (t) => {
      const before = await t.connections()
      const results = await Promise.allSettled(
        Array.from({ length: 300 }, () => connect(t.signalUrl, { record: false })),
      )
      const clients = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
      expect(clients).toHaveLength(300) // every handshake completes; the excess is closed after
      const allowed = ABUSE_LIMITS.maxConnectionsPerIp - before
      await waitFor(
        'excess connections closed',
        () => clients.filter((c) => c.closed() !== null).length >= 300 - allowed,
      )
      const refused = clients.filter((c) => c.closed() !== null)
      expect(refused).toHaveLength(300 - allowed)
      for (const c of refused)
        expectClosed(c.closed() as Closed, 'too-many-connections', 'per-address')
      expect(await t.connections()).toBe(ABUSE_LIMITS.maxConnectionsPerIp)
      await Promise.all(clients.map((c) => c.close()))
      await waitFor('connections released', async () => (await t.connections()) === before)
    },
  ],
  [
    '[SIG-10] a subscriber that never reads (backpressure)',
    async (t) => {
      const slow = await connect(t.signalUrl, { maxRecordBytes: 1024 })
      await subscribe(slow, ['slow-room'])
      slow.pause()
      const before = await t.rejections('slow-consumer')
      // Several publishers, each within its own rate limit, flood the room with 60 KB frames
      // until the server's queue for the paused client passes its bound.
      const publishers: TestClient[] = await Promise.all([1, 2, 3].map(() => connect(t.signalUrl)))
      const frame = JSON.stringify({
        type: 'publish',
        topic: 'slow-room',
        data: 'y'.repeat(60_000),
      })
      const burst = ABUSE_LIMITS.rateLimitBurst - 10
      let sent = 0
      await waitFor(
        'slow consumer dropped',
        async () => {
          if ((await t.rejections('slow-consumer')) > before) return true
          for (const p of publishers) {
            // Stay well within the rate limit: the burst first, then a steady trickle.
            const n = sent < burst ? burst : 2
            for (let i = 0; i < n; i++) p.ws.send(frame)
          }
          sent += sent < burst ? burst : 2
          return false
        },
        { timeoutMs: 20_000, intervalMs: 100 },
      )
      // It reads again: it drains what was queued (bounded) and then sees why it was cut off.
      slow.resume()
      expectClosed(await slow.waitClosed(), 'slow-consumer')
      for (const p of publishers) expect(p.closed()).toBeNull()
      await Promise.all(publishers.map((p) => p.close()))
    },
  ],
]
