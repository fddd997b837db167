// The chunked transport over real WebRTC: two @roamhq/wrtc peer connections in this process,
// connected by handing SDP across directly (no signaling server), and simple-peer on top as
// y-webrtc uses it. Rules: docs/SPEC.md.
import { createRequire } from 'node:module'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import * as syncProtocol from 'y-protocols/sync'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import { chunkingWrtc, type ChunkingError } from '../../src/sync/chunked'
import {
  openChannelPair,
  realWrtc,
  receive,
  withTimeout,
  type ChannelPair,
  type WrtcBase,
} from '../../bench/chunked/wrtc-pair'
import { loadTrace } from '../../bench/lib/trace'

/** simple-peer has no types in this project; this is the part of its API the tests use. */
interface SimplePeer {
  on(event: 'signal', listener: (data: unknown) => void): void
  on(event: 'connect' | 'close', listener: () => void): void
  on(event: 'data', listener: (data: Uint8Array) => void): void
  on(event: 'error', listener: (error: Error) => void): void
  signal(data: unknown): void
  send(data: Uint8Array | string): void
  write(chunk: Uint8Array, callback: (error?: Error | null) => void): boolean
  destroy(): void
}
type SimplePeerConstructor = new (options: object) => SimplePeer
const Peer = createRequire(import.meta.url)('simple-peer') as SimplePeerConstructor

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

async function channelPair(base: WrtcBase): Promise<ChannelPair> {
  const pair = await openChannelPair(base)
  cleanups.push(() => pair.close())
  return pair
}

function pattern(length: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length)
  let x = seed
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

const same = (data: unknown, expected: Uint8Array): boolean =>
  data instanceof ArrayBuffer && Buffer.from(data).equals(Buffer.from(expected))

function peerPair(wrtcA: object, wrtcB: object): { a: SimplePeer; b: SimplePeer } {
  const a = new Peer({ initiator: true, wrtc: wrtcA, config: { iceServers: [] } })
  const b = new Peer({ wrtc: wrtcB, config: { iceServers: [] } })
  a.on('signal', (data) => b.signal(data))
  b.on('signal', (data) => a.signal(data))
  cleanups.push(() => {
    a.destroy()
    b.destroy()
  })
  return { a, b }
}

const connected = (peer: SimplePeer): Promise<void> =>
  withTimeout(new Promise<void>((resolve) => peer.on('connect', resolve)), 15_000, 'connect')

describe('chunked transport over real WebRTC (@roamhq/wrtc)', () => {
  it('baseline: the raw channel cannot carry a 300 KB message (the bug this layer fixes)', async () => {
    const pair = await channelPair(realWrtc)
    let delivered = false
    pair.b.onmessage = () => {
      delivered = true
    }
    pair.a.send(new Uint8Array(300_000))
    // libwebrtc refuses a message over a=max-message-size (262144) by closing the channel.
    await expect
      .poll(() => pair.a.readyState, { message: 'the raw channel to close', timeout: 10_000 })
      .toBe('closed')
    expect(delivered).toBe(false)
  })

  it('[CHUNK-1] 0 B, 300 KB and 20 MB arrive intact, in order, both ways', async () => {
    const pair = await channelPair(chunkingWrtc(realWrtc))
    const messages = [new Uint8Array(0), pattern(300_000, 1), pattern(20 * 1024 * 1024, 2)]
    const atB = receive(pair.b, messages.length)
    const atA = receive(pair.a, messages.length)
    for (const m of messages) pair.a.send(m)
    for (const m of messages) pair.b.send(m)
    const [gotB, gotA] = await withTimeout(Promise.all([atB, atA]), 30_000, '2 × 20.3 MB')
    messages.forEach((m, i) => {
      expect(same(gotB[i], m), `a→b message ${i}`).toBe(true)
      expect(same(gotA[i], m), `b→a message ${i}`).toBe(true)
    })
    expect(pair.a.readyState).toBe('open')
  })

  it('[CHUNK-1] a 1 MB message passes through simple-peer with wrtc: chunkingWrtc(wrtc) on both sides', async () => {
    const wrtc = chunkingWrtc(realWrtc)
    const { a, b } = peerPair(wrtc, wrtc)
    await Promise.all([connected(a), connected(b)])
    const message = pattern(1024 * 1024, 3)
    const got = new Promise<Uint8Array>((resolve) => b.on('data', resolve))
    a.send(message)
    const data = await withTimeout(got, 15_000, 'the 1 MB message')
    expect(Buffer.from(data).equals(Buffer.from(message))).toBe(true)

    // simple-peer's stream interface waits on our bufferedAmount / bufferedamountlow.
    const chunks = [pattern(3_000_000, 4), pattern(2_000_000, 5)]
    const received: Uint8Array[] = []
    b.on('data', (chunk) => received.push(chunk))
    for (const chunk of chunks) {
      await withTimeout(
        new Promise<void>((resolve, reject) =>
          a.write(chunk, (error) => (error ? reject(error) : resolve())),
        ),
        15_000,
        'a backpressured write',
      )
    }
    await expect
      .poll(() => received, { message: 'both streamed messages', timeout: 15_000 })
      .toHaveLength(chunks.length)
    chunks.forEach((c, i) => expect(Buffer.from(received[i]!).equals(Buffer.from(c))).toBe(true))
  })

  it('[CHUNK-1] a large Yjs state (a real editing trace + 2 MB of text) syncs through simple-peer + chunking', async () => {
    const source = new Y.Doc()
    const text = source.getText('content')
    // friendsforever_flat (26k edits) rather than automerge-paper (260k): its replay costs 0.3 s
    // instead of 5-8 s on this shared machine, and the 2 MB appended is what makes it large.
    const trace = loadTrace('friendsforever_flat')
    source.transact(() => {
      for (const [pos, del, ins] of trace.patches) {
        if (del > 0) text.delete(pos, del)
        if (ins !== '') text.insert(pos, ins)
      }
    })
    expect(text.toJSON()).toBe(trace.endContent)
    const bulk = trace.endContent.repeat(Math.ceil((2 * 1024 * 1024) / trace.endContent.length))
    text.insert(text.length, bulk)
    const state = Y.encodeStateAsUpdate(source)
    expect(state.byteLength).toBeGreaterThan(2 * 1024 * 1024) // far over the 256 KiB limit

    const target = new Y.Doc()
    const wrtc = chunkingWrtc(realWrtc)
    const { a, b } = peerPair(wrtc, wrtc)
    // What y-webrtc does per connection: send sync step 1 on connect, answer what arrives.
    const speak = (peer: SimplePeer, doc: Y.Doc): void => {
      peer.on('connect', () => {
        const encoder = encoding.createEncoder()
        syncProtocol.writeSyncStep1(encoder, doc)
        peer.send(encoding.toUint8Array(encoder))
      })
      peer.on('data', (data) => {
        const encoder = encoding.createEncoder()
        syncProtocol.readSyncMessage(decoding.createDecoder(data), encoder, doc, 'remote')
        if (encoding.length(encoder) > 0) peer.send(encoding.toUint8Array(encoder))
      })
    }
    speak(a, source)
    speak(b, target)
    await expect
      .poll(() => target.getText('content').length, {
        message: 'the target document to match',
        timeout: 30_000,
      })
      .toBe(text.length)
    expect(target.getText('content').toJSON()).toBe(text.toJSON())
  })

  it('[CHUNK-4] a stock (non-chunking) simple-peer is refused with a clear reason', async () => {
    const reported: ChunkingError[] = []
    const chunking = chunkingWrtc(realWrtc, { onTransportError: (error) => reported.push(error) })
    const { a, b } = peerPair(chunking, realWrtc)
    const errorAtA = withTimeout(
      new Promise<Error>((resolve) => a.on('error', resolve)),
      15_000,
      'the chunking side to refuse',
    )
    let aConnected = false
    a.on('connect', () => {
      aConnected = true
    })
    b.on('connect', () => b.send(Uint8Array.from([0, 0, 1, 0]))) // stock y-webrtc: sync step 1
    const error = await errorAtA
    expect((error as ChunkingError).reason).toBe('peer-does-not-speak-meshpad-chunking-v1')
    expect(reported.map((e) => e.reason)).toEqual(['peer-does-not-speak-meshpad-chunking-v1'])
    expect(aConnected).toBe(false)
  })
})
