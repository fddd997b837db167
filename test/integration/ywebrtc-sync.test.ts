import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { waitForConvergence, waitForPeers } from '../helpers/node-peer/converge.js'
import { killAllNodePeers, startPeersInTurn } from '../helpers/node-peer/index.js'
import { decryptPayload, observeTopic } from '../helpers/node-peer/signal-observer.js'
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js'

// SIG-COMPAT-1 against one real server instance: unmodified y-webrtc WebrtcProviders, each in its
// own Node process with @roamhq/wrtc, find each other through /signal and sync a Y.Text.
let server: ServerProcess

beforeAll(async () => {
  server = await startServerProcess()
})

afterEach(async () => {
  await killAllNodePeers()
})

afterAll(async () => {
  await killAllNodePeers()
  await server?.stop()
})

describe('y-webrtc compatibility', () => {
  it('[SIG-COMPAT-1] two unmodified y-webrtc peers sync a Y.Text both ways through /signal, and the server relays only encrypted payloads', async () => {
    const room = 'compat-both-ways'
    const password = 'correct horse battery staple'
    const observer = await observeTopic(server.signalUrl, room)
    try {
      const options = { room, password, signaling: [server.signalUrl] }
      const [a, b] = await startPeersInTurn([
        { ...options, name: 'A' },
        { ...options, name: 'B' },
      ])

      await a.insert('Hello from A. ')
      await waitForPeers(a, 1)
      expect(await waitForConvergence([a, b], (text) => text === 'Hello from A. ')).toBe(
        'Hello from A. ',
      )
      await b.insert('Hello from B.')
      expect(await waitForConvergence([a, b], (text) => text.endsWith('B.'))).toBe(
        'Hello from A. Hello from B.',
      )

      // What the server relayed for this topic: announces, offers, answers, ICE candidates.
      const publishes = observer.frames.filter((frame) => frame['type'] === 'publish')
      expect(observer.frames.some((frame) => frame['type'] === '<binary frame>')).toBe(false)
      expect(publishes.length).toBeGreaterThanOrEqual(4)
      const kinds = new Set<string>()
      for (const frame of publishes) {
        // Only routing fields are readable; the payload is one opaque string.
        expect(Object.keys(frame).sort()).toEqual(['clients', 'data', 'topic', 'type'])
        expect(frame['topic']).toBe(room)
        const data = frame['data']
        expect(typeof data).toBe('string')
        const raw = Buffer.from(data as string, 'base64').toString('latin1')
        for (const plaintext of ['announce', '"signal"', 'v=0\r\n', 'candidate:', password]) {
          expect(raw).not.toContain(plaintext)
        }
        // ...and it is y-webrtc's encrypted signaling message, readable with the password.
        const message = (await decryptPayload(data as string, password, room)) as { type: string }
        kinds.add(message.type)
      }
      expect(kinds).toEqual(new Set(['announce', 'signal']))
    } finally {
      await observer.close()
    }
  })

  it('[SIG-COMPAT-1] concurrent inserts on two y-webrtc peers converge to the same text', async () => {
    const options = { room: 'compat-concurrent', password: 'pw', signaling: [server.signalUrl] }
    const [a, b] = await startPeersInTurn([
      { ...options, name: 'A' },
      { ...options, name: 'B' },
    ])
    await Promise.all([waitForPeers(a, 1), waitForPeers(b, 1)])

    // Both type at the same place at the same time, without waiting for each other: 20 edits each.
    const edits: Promise<void>[] = []
    for (let i = 0; i < 20; i++) {
      edits.push(a.insert(`a${i};`, 0), b.insert(`b${i};`, 0))
    }
    await Promise.all(edits)

    const expectedLength =
      2 * Array.from({ length: 20 }, (_, i) => `x${i};`.length).reduce((x, y) => x + y)
    const text = await waitForConvergence([a, b], (t) => t.length === expectedLength)
    for (let i = 0; i < 20; i++) {
      expect(text).toContain(`a${i};`)
      expect(text).toContain(`b${i};`)
    }
  })
})
