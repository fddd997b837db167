import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { waitForConvergence, waitForPeers } from '../helpers/node-peer/converge.js'
import { crashServer, isRunning } from '../helpers/node-peer/crash-server.js'
import { killAllNodePeers, startNodePeer, startPeersInTurn } from '../helpers/node-peer/index.js'
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js'

// y-webrtc's own redundancy: given several signaling URLs it keeps a socket open to every one,
// subscribes and announces on each, and answers a peer on the socket it heard it on. Against
// independent instances (no shared bus) that is plain redundancy: any surviving instance is
// enough. (Against instances joined by Redis it is not: see redis-scale.test.ts.)
const servers: ServerProcess[] = []

afterEach(async () => {
  await killAllNodePeers()
})

afterAll(async () => {
  await killAllNodePeers()
  await Promise.all(servers.filter(isRunning).map((server) => server.stop()))
})

describe('y-webrtc with several signaling URLs', () => {
  it('[SIG-SCALE-2] with one socket per URL on independent instances, killing one loses no room: peers find each other again and a late peer syncs through the survivor', async () => {
    const [one, two] = await Promise.all([startServerProcess(), startServerProcess()])
    servers.push(one, two)
    const options = {
      room: 'failover-all-urls',
      password: 'pw',
      signaling: [one.signalUrl, two.signalUrl],
    }
    const [a, b] = await startPeersInTurn([
      { ...options, name: 'A' },
      { ...options, name: 'B' },
    ])
    await a.insert('before the crash. ')
    await Promise.all([waitForPeers(a, 1), waitForPeers(b, 1)])
    await waitForConvergence([a, b], (text) => text === 'before the crash. ')
    expect((await a.status()).signaling).toEqual({ [one.signalUrl]: true, [two.signalUrl]: true })

    await crashServer(one)
    await expect
      .poll(
        async () =>
          (await Promise.all([a.status(), b.status()])).map((s) => s.signaling[one.signalUrl]),
        { message: 'A and B see instance 1 gone', timeout: 15_000 },
      )
      .toEqual([false, false])

    // B leaves and comes back: it can find A again only through instance 2.
    await b.disconnect()
    await expect
      .poll(() => a.peerCount(), { message: 'A notices that B left', timeout: 30_000 })
      .toBe(0)
    await b.insert('B, while away. ')
    await b.connect()
    await Promise.all([waitForPeers(a, 1), waitForPeers(b, 1)])
    await waitForConvergence([a, b], (text) => text.includes('B, while away. '))

    // A peer arriving after the crash; its socket to instance 1 keeps retrying in vain.
    const c = await startNodePeer({ ...options, name: 'C' })
    await waitForPeers(c, 2)
    await c.insert('C joined late.')
    const text = await waitForConvergence([a, b, c], (t) => t.includes('C joined late.'))
    expect(text.startsWith('before the crash. ')).toBe(true)
    expect(text).toContain('B, while away. ')
    expect((await c.status()).signaling).toEqual({ [one.signalUrl]: false, [two.signalUrl]: true })
  })
})
