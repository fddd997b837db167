// Load generator process for the signaling benchmark, driven over IPC by run.ts. Each room's
// publisher and subscribers live in the same generator, so publish->deliver latency is measured
// on one clock (performance.now()). Bounded: every wait has a deadline; the process exits when
// the runner lets go of it.
import { performance } from 'node:perf_hooks'
import { Histogram } from './histogram.js'
import { RawClient } from './raw-client.js'
import type {
  FanoutResult,
  FanoutRoom,
  IdleResult,
  LoadCommand,
  LoadReplies,
  LoadReply,
} from './protocol.js'

const DATA_MARK = Buffer.from('"data":"')
/** Every connection this generator holds; both servers face the same lean client. */
const clients = new Set<RawClient>()

/** Opens a connection, subscribes to `topic`, and resolves once a ping sent after it is answered. */
async function subscribed(url: string, topic: string, timeoutMs: number): Promise<RawClient> {
  const client = await RawClient.connect(url, timeoutMs)
  clients.add(client)
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no pong')), timeoutMs)
      client.onClose = (reason) => {
        clearTimeout(timer)
        reject(new Error(reason))
      }
      client.onText = (payload) => {
        if (payload.toString('utf8') !== '{"type":"pong"}') return
        clearTimeout(timer)
        resolve()
      }
      client.send(JSON.stringify({ type: 'subscribe', topics: [topic] }))
      client.send(JSON.stringify({ type: 'ping' }))
    })
  } catch (error) {
    clients.delete(client)
    client.terminate()
    throw error
  }
  client.onText = () => {}
  client.onClose = () => clients.delete(client)
  return client
}

async function idle(command: Extract<LoadCommand, { op: 'idle' }>): Promise<IdleResult> {
  let next = 0
  let held = 0
  let failed = 0
  const firstErrors: string[] = []
  const worker = async (): Promise<void> => {
    while (next < command.count) {
      const i = next++
      const topic = `${command.topicPrefix}${Math.floor(i / 2)}`
      try {
        await subscribed(command.url, topic, command.timeoutMs)
        held++
      } catch (error) {
        failed++
        if (firstErrors.length < 5) firstErrors.push(String(error))
      }
    }
  }
  await Promise.all(Array.from({ length: command.concurrency }, worker))
  return { held, failed, firstErrors }
}

interface Room {
  readonly topic: string
  readonly publisher: RawClient
  readonly size: number
  seq: number
}

let rooms: Room[] = []
let run: {
  histogram: Histogram
  delivered: number
  duplicates: number
  lastDeliverAt: number
  countUntil: number
} | null = null

async function fanoutSetup(list: readonly FanoutRoom[]): Promise<{ connections: number }> {
  rooms = []
  let connections = 0
  for (const room of list) {
    const sockets = await Promise.all(
      room.subscriberUrls.map((url) =>
        subscribed(url, room.topic, 20_000).catch((error: unknown) => {
          throw new Error(`subscriber of ${room.topic}: ${String(error)}`)
        }),
      ),
    )
    for (const socket of sockets) {
      // One publisher per room and in-order delivery per connection: a sequence number not
      // above the last one seen is a duplicate (or a reordering, which would be as wrong).
      let lastSeq = -1
      socket.onText = (data) => {
        const now = performance.now()
        if (run === null || now > run.countUntil) return
        // {"type":"publish","topic":"…","data":"<seq>|<sentAt>|<pad>","clients":n}: read the
        // two numbers straight from the bytes, no JSON.parse, to keep the generator cheap.
        const start = data.indexOf(DATA_MARK)
        if (start === -1) return
        const fields = data.toString(
          'latin1',
          start + DATA_MARK.length,
          start + DATA_MARK.length + 32,
        )
        const bar = fields.indexOf('|')
        const seq = Number(fields.slice(0, bar))
        const sentAt = Number(fields.slice(bar + 1, fields.indexOf('|', bar + 1)))
        if (seq <= lastSeq) {
          run.duplicates++
          return
        }
        lastSeq = seq
        run.delivered++
        run.lastDeliverAt = now
        run.histogram.record(now - sentAt)
      }
    }
    connections += sockets.length
    rooms.push({
      topic: room.topic,
      publisher: sockets[0] as RawClient,
      size: sockets.length,
      seq: 0,
    })
  }
  return { connections }
}

async function fanoutRun(
  command: Extract<LoadCommand, { op: 'fanoutRun' }>,
): Promise<FanoutResult> {
  const pad = 'x'.repeat(Math.max(0, command.payloadBytes - 40))
  run = {
    histogram: new Histogram(),
    delivered: 0,
    duplicates: 0,
    lastDeliverAt: 0,
    countUntil: Number.POSITIVE_INFINITY,
  }
  const current = run
  let sent = 0
  let expected = 0
  const start = performance.now()
  // Open loop: every tick sends whatever the schedule says is due, whether or not earlier
  // publishes have been delivered. A generator that falls behind shows up as sent < offered.
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const elapsed = Math.min(performance.now() - start, command.durationMs)
      const due = Math.floor((command.ratePerRoom * elapsed) / 1000)
      // One write per publisher per tick, like the servers' batching: the generator should
      // spend its CPU on receiving, which is what is being measured.
      for (const room of rooms) room.publisher.cork()
      for (const room of rooms) {
        while (room.seq < due) {
          const seq = room.seq++
          const data = `${seq}|${performance.now().toFixed(3)}|${pad}`
          room.publisher.send(`{"type":"publish","topic":"${room.topic}","data":"${data}"}`)
          sent++
          expected += room.size
        }
      }
      for (const room of rooms) room.publisher.uncork()
      if (elapsed >= command.durationMs) resolve()
      else setTimeout(tick, 2)
    }
    tick()
  })
  const sendEnd = performance.now()
  current.countUntil = sendEnd + command.drainMs
  while (current.delivered < expected && performance.now() < current.countUntil) {
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  run = null
  return {
    sent,
    expected,
    delivered: current.delivered,
    duplicates: current.duplicates,
    histogram: current.histogram.toSparse(),
    firstSendAt: start,
    lastDeliverAt: current.lastDeliverAt,
    sendWindowMs: sendEnd - start,
  }
}

function closeAll(): { closed: number } {
  const all = [...clients]
  for (const client of all) client.terminate()
  clients.clear()
  rooms = []
  return { closed: all.length }
}

async function handle(command: LoadCommand): Promise<LoadReplies[LoadCommand['op']]> {
  switch (command.op) {
    case 'idle':
      return idle(command)
    case 'fanoutSetup':
      return fanoutSetup(command.rooms)
    case 'fanoutRun':
      return fanoutRun(command)
    case 'closeAll':
      return Promise.resolve(closeAll())
  }
}

process.on('message', (raw: unknown) => {
  const request = raw as LoadCommand & { id: number }
  handle(request).then(
    (value) => process.send?.({ id: request.id, ok: true, value } satisfies LoadReply),
    (error: unknown) =>
      process.send?.({
        id: request.id,
        ok: false,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      } satisfies LoadReply),
  )
})
process.on('disconnect', () => process.exit(0))
process.send?.({ ready: true })
