// SIG-11: the abuse suite against the real server process (`server/main.ts`). For each abuse:
// that client is closed with the right code and reason, a well-behaved pair on the same server
// keeps working, the process stays up, and the server's live state returns to its baseline.
// Heap memory returning to baseline is measured in-process in signaling-memory.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'
import { ABUSE_CASES, ABUSE_ENV, type AbuseTarget } from './signaling-abuse-cases'
import {
  assertRoomWorks,
  connect,
  subscribe,
  metricValue,
  type TestClient,
} from './signaling-helpers'

let server: ServerProcess
let target: AbuseTarget
let good: [TestClient, TestClient]

const metrics = async (): Promise<string> => (await fetch(`${server.url}/metrics`)).text()

beforeAll(async () => {
  // Most verbose logging, so the no-payload check below has every log line to look at.
  server = await startServerProcess({ ...ABUSE_ENV, LOG_LEVEL: 'trace' })
  target = {
    signalUrl: server.signalUrl,
    port: server.port,
    rejections: async (reason) =>
      metricValue(await metrics(), 'meshpad_rejections_total', { reason }),
    connections: async () => metricValue(await metrics(), 'meshpad_connections'),
  }
  good = [await connect(server.signalUrl), await connect(server.signalUrl)]
  for (const client of good) await subscribe(client, ['good-room'])
  await assertRoomWorks(good[0], good[1], 'good-room')
})

afterAll(async () => {
  await Promise.all(good.map((client) => client.close()))
  expect(await server.stop()).toBe(0)
})

describe('abuse suite (server process)', () => {
  it.each(ABUSE_CASES)(
    '[SIG-11] %s: only that client is closed with its reason; others keep working',
    async (_name, run) => {
      const rejectionsBefore = metricValue(await metrics(), 'meshpad_rejections_total')
      await run(target)
      expect(server.child.exitCode).toBeNull()
      expect(await (await fetch(`${server.url}/healthz`)).text()).toBe('ok\n')
      for (const client of good) expect(client.closed()).toBeNull()
      await assertRoomWorks(good[0], good[1], 'good-room')
      await assertRoomWorks(good[1], good[0], 'good-room')
      // Everything the abuser held is released: only the good pair and its one topic remain.
      await expect
        .poll(
          async () => {
            const text = await metrics()
            return {
              connections: metricValue(text, 'meshpad_connections'),
              topics: metricValue(text, 'meshpad_topics'),
              addresses: metricValue(text, 'meshpad_client_addresses'),
            }
          },
          { message: 'server state back to baseline', timeout: 15_000 },
        )
        .toEqual({ connections: 2, topics: 1, addresses: 1 })
      // The garbage handshake never becomes a connection, so it has nothing to count.
      if (!_name.startsWith('garbage instead')) {
        expect(metricValue(await metrics(), 'meshpad_rejections_total')).toBeGreaterThan(
          rejectionsBefore,
        )
      }
    },
  )

  it('[SIG-12] never logs payloads or topics', async () => {
    // Traffic of its own, so that the check holds when this case runs alone (-t): a topic, a
    // payload, and a frame the server refuses and logs, each carrying a marker.
    const client = await connect(server.signalUrl)
    await subscribe(client, ['sig12-secret-topic'])
    client.send({ type: 'publish', topic: 'sig12-secret-topic', data: 'sig12-secret-payload' })
    await client.waitMessage('own publish echoed', (m) => m['data'] === 'sig12-secret-payload')
    client.send('{"type":"publish","topic":"sig12-secret-in-garbage",')
    expect((await client.waitClosed()).code).toBe(4400)
    await expect
      .poll(() => server.output(), { message: 'the refusal logged', timeout: 15_000 })
      .toContain('closing signaling connection')
    const output = server.output()
    // The markers above, and those of the abuse cases when they ran before.
    for (const secret of [
      'sig12-secret',
      'rm -rf',
      'flood-room',
      'slow-room',
      'good-room',
      'xxxxxxxx',
      'yyyyyyyy',
    ]) {
      expect(output).not.toContain(secret)
    }
  })
})
