// SIG-11: memory returns to its baseline after abuse. The server runs in this process so the
// test can force full garbage collections (V8's gc, exposed at runtime) and compare the heap
// after repeated rounds of the whole abuse battery with the heap before: a per-connection or
// per-topic leak would grow with every round. The server's live state must also be empty.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../server/server'
import { ABUSE_CASES, ABUSE_LIMITS, type AbuseTarget } from './signaling-abuse-cases'
import {
  assertRoomWorks,
  connect,
  subscribe,
  metricValue,
  type TestClient,
} from './signaling-helpers'

/** How long a poll waits for what the test expects (the project's default is 1 s). */
const WAIT = { timeout: 15_000 }

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

async function settledHeap(): Promise<number> {
  // Let closes, timers and sockets finish, then collect until the heap stops shrinking.
  await new Promise((resolve) => setImmediate(resolve))
  let last = Infinity
  for (let i = 0; i < 6; i++) {
    gc()
    await new Promise((resolve) => setTimeout(resolve, 20))
    const used = process.memoryUsage().heapUsed
    if (used >= last - 64 * 1024) return used
    last = used
  }
  return last
}

let server: RunningServer
let target: AbuseTarget
let good: [TestClient, TestClient]

beforeAll(async () => {
  server = await startServer({ ...ABUSE_LIMITS, port: 0, logLevel: 'silent' })
  const signalUrl = `ws://127.0.0.1:${server.port}/signal`
  target = {
    signalUrl,
    port: server.port,
    rejections: async (reason) =>
      metricValue(await server.metrics.registry.metrics(), 'meshpad_rejections_total', { reason }),
    connections: () => Promise.resolve(server.stats().connections),
  }
  good = [await connect(signalUrl), await connect(signalUrl)]
  for (const client of good) await subscribe(client, ['good-room'])
  await assertRoomWorks(good[0], good[1], 'good-room')
})

afterAll(async () => {
  await Promise.all(good.map((client) => client.close()))
  await server.close()
})

async function round(): Promise<void> {
  for (const [, run] of ABUSE_CASES) await run(target)
  await assertRoomWorks(good[0], good[1], 'good-room')
  for (const client of good) client.messages.length = 0
  await expect
    .poll(() => server.stats(), { message: 'only the good pair is left', ...WAIT })
    .toMatchObject({ connections: 2, topics: 1, addresses: 1 })
}

describe('memory after abuse', () => {
  it('[SIG-10] [SIG-11] heap returns near its baseline after repeated abuse rounds', async () => {
    await round() // warm-up: compiles code paths and creates every metric series once
    const baseline = await settledHeap()
    const rounds = 3
    for (let i = 0; i < rounds; i++) await round()
    const after = await settledHeap()
    const grownMiB = (after - baseline) / 1024 / 1024
    // Each round pushes tens of MiB through the server (1 MiB frames, ~16 MiB of backpressure,
    // 300 connections). A leak of even a few KiB per connection would exceed this bound.
    console.log(
      `heap baseline ${(baseline / 1048576).toFixed(1)} MiB, after ${rounds} rounds ${(after / 1048576).toFixed(1)} MiB (${grownMiB >= 0 ? '+' : ''}${grownMiB.toFixed(2)} MiB)`,
    )
    expect(grownMiB).toBeLessThan(3)
  })
})
