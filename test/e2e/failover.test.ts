import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { startRedis, type RedisProcess } from '../helpers/redis'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'
import { launchChromium } from './helpers/chromium'
import { Peer } from './helpers/peer'

// Issue 3 item 5 and issue 4 item 5 in real Chromium: two signaling instances joined by a real
// Redis, every peer configured with both URLs (`?signaling=`). Killing the instance they use must
// not cut peers already connected, and a newcomer must still find them: clients move to the next
// URL (src/sync/signaling-failover.ts) and Redis joins the rooms across instances.

describe('signaling failover across Redis-joined instances', () => {
  let redis: RedisProcess
  let first: ServerProcess
  let second: ServerProcess
  let browser: Browser
  const peers: Peer[] = []

  beforeAll(async () => {
    redis = await startRedis()
    first = await startServerProcess({ REDIS_URL: redis.url })
    second = await startServerProcess({ REDIS_URL: redis.url })
    browser = await launchChromium()
  })

  afterAll(async () => {
    await Promise.all(peers.map((peer) => peer.close()))
    await browser.close()
    await first.stop('SIGKILL')
    await second.stop()
    await redis.stop()
  })

  it('[SYNC-4] [SIG-SCALE-2] an instance dies: connected peers keep syncing and a newcomer still finds them', async () => {
    const signaling = `?signaling=${first.signalUrl},${second.signalUrl}`
    // Every peer loads the app from the second instance (it survives); all signal via the first.
    const origin = second.url.replace(/\/$/, '')
    const open = async (label: string): Promise<Peer> => {
      const peer = await Peer.open(browser, origin, label)
      peers.push(peer)
      return peer
    }
    const a = await open('A')
    const b = await open('B')
    await a.page.goto(`${origin}/${signaling}`)
    const link = await a.createDocument()
    await b.openDoc(link)
    await a.typeInEditor('Before the crash.')
    await b.waitForText('B sees A through instance one', (t) => t.includes('Before the crash.'))

    await first.stop('SIGKILL')
    const crashed = Date.now()
    await a.typeInEditor(' Still live.')
    await b.waitForText('A and B stay connected without signaling', (t) =>
      t.includes('Still live.'),
    )

    const c = await open('C')
    await c.openDoc(link)
    await c.waitForText(
      'newcomer C finds A and B through instance two',
      (t) => t.includes('Before the crash.') && t.includes('Still live.'),
      45_000,
    )
    await c.typeInEditor(' C joined.')
    await a.waitForText('A gets C’s edit', (t) => t.includes('C joined.'), 30_000)
    console.log(`[e2e] SIG-SCALE-2: newcomer synced ${Date.now() - crashed} ms after the crash`)
  })
})
