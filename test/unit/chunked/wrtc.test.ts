import { describe, expect, it } from 'vitest'
import { ChunkedDataChannel, chunkingWrtc, type RawDataChannel } from '../../../src/sync/chunked'
import { FakeRawChannel } from './fake-channel'

/** Shaped like @roamhq/wrtc's RTCPeerConnection: ondatachannel is an own data property. */
class FakePeerConnection {
  static generateCertificate(): string {
    return 'cert'
  }
  ondatachannel: ((event: unknown) => void) | null = null
  onicecandidate: ((event: unknown) => void) | null = null
  readonly created: FakeRawChannel[] = []
  private readonly listeners = new Set<(event: { channel: FakeRawChannel }) => void>()
  constructor(readonly config: unknown) {}
  get signalingState(): string {
    return 'stable'
  }
  createDataChannel(label: string): FakeRawChannel {
    const channel = new FakeRawChannel({ label })
    this.created.push(channel)
    return channel
  }
  addEventListener(type: string, listener: (event: { channel: FakeRawChannel }) => void): void {
    if (type === 'datachannel') this.listeners.add(listener)
  }
  removeEventListener(): void {}
  /** What the native side does when the remote opens a channel. */
  remoteOpens(label: string): void {
    const channel = new FakeRawChannel({ label })
    for (const listener of this.listeners) listener({ channel })
    this.ondatachannel?.({ channel })
  }
  whoAmI(): unknown {
    return this
  }
}

const base = {
  RTCPeerConnection: FakePeerConnection,
  RTCSessionDescription: 'SD',
  RTCIceCandidate: 'IC',
}

describe('chunkingWrtc', () => {
  it('createDataChannel hands out a ChunkedDataChannel; everything else is the real connection', () => {
    const wrtc = chunkingWrtc(base)
    expect(wrtc.RTCSessionDescription).toBe('SD')
    expect(wrtc.RTCIceCandidate).toBe('IC')
    expect(wrtc.RTCPeerConnection.generateCertificate()).toBe('cert')
    const pc = new wrtc.RTCPeerConnection({ iceServers: [] })
    expect(pc.config).toEqual({ iceServers: [] })
    expect(pc.signalingState).toBe('stable')
    const real = pc.whoAmI() as FakePeerConnection
    expect(real).not.toBe(pc) // methods run on the real object (browsers refuse a Proxy `this`)
    const handler = (): void => {}
    pc.onicecandidate = handler
    expect(real.onicecandidate).toBe(handler)
    const channel = pc.createDataChannel('meshpad') as unknown as ChunkedDataChannel
    expect(channel).toBeInstanceOf(ChunkedDataChannel)
    expect(channel.label).toBe('meshpad')
    expect(real.created.length).toBe(1)
    // Compile-time: a browser's RTCDataChannel is something the wrapper can wrap.
    const fromBrowser = (raw: RTCDataChannel): RawDataChannel => raw
    expect(fromBrowser).toBeTypeOf('function')
  })

  it('the answering side gets a wrapped channel from ondatachannel and addEventListener', () => {
    const pc = new (chunkingWrtc(base).RTCPeerConnection)({})
    const seen: unknown[] = []
    pc.ondatachannel = (event: unknown) => seen.push((event as { channel: unknown }).channel)
    pc.addEventListener('datachannel', (event: { channel: unknown }) => seen.push(event.channel))
    expect(pc.ondatachannel).toBeTypeOf('function')
    const real = pc.whoAmI() as FakePeerConnection
    expect(real.ondatachannel).toBeNull() // the real handler slot is never given the raw channel
    real.remoteOpens('remote')
    expect(seen.length).toBe(2)
    for (const channel of seen) expect(channel).toBeInstanceOf(ChunkedDataChannel)
  })

  it('bad options and a bad base throw at once, saying what to do', () => {
    expect(() => chunkingWrtc(base, { highWaterMark: 10 })).toThrow(/highWaterMark/)
    expect(() => chunkingWrtc({} as typeof base)).toThrow(/RTCPeerConnection/)
  })
})
