// Two real @roamhq/wrtc RTCPeerConnections in one Node process, connected by handing SDP to each
// other directly (no signaling server, host candidates only, nothing leaves the machine), with
// one data channel between them. Used by bench/chunked/run.ts and
// test/integration/chunked-wrtc.test.ts. Pass `chunkingWrtc(wrtc)` to get chunked channels.
import wrtc from '@roamhq/wrtc'

/** The part of an RTCDataChannel (raw or ChunkedDataChannel) these helpers use. */
export interface ChannelLike {
  readonly readyState: string
  readonly bufferedAmount: number
  bufferedAmountLowThreshold?: number
  binaryType: string
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onerror: ((event: unknown) => void) | null
  onclose: ((event: unknown) => void) | null
  send(data: string | ArrayBuffer | ArrayBufferView): void
  close(): void
}

interface PeerConnectionLike {
  createDataChannel(label: string): ChannelLike
  ondatachannel: ((event: { channel: ChannelLike }) => void) | null
  onicegatheringstatechange: (() => void) | null
  readonly iceGatheringState: string
  readonly localDescription: { type: string; sdp: string } | null
  createOffer(): Promise<{ type: string; sdp?: string }>
  createAnswer(): Promise<{ type: string; sdp?: string }>
  setLocalDescription(description: unknown): Promise<void>
  setRemoteDescription(description: unknown): Promise<void>
  close(): void
}

export interface WrtcBase {
  RTCPeerConnection: new (config?: object) => object
  RTCSessionDescription: unknown
  RTCIceCandidate: unknown
}

export interface ChannelPair {
  readonly a: ChannelLike
  readonly b: ChannelLike
  close(): void
}

export const realWrtc: WrtcBase = wrtc

/** Connects two peer connections made from `base` and resolves once the channel is open on both
 * sides (for chunked channels: once both hellos have been exchanged). */
export async function openChannelPair(
  base: WrtcBase = realWrtc,
  { label = 'meshpad', timeoutMs = 15_000 }: { label?: string; timeoutMs?: number } = {},
): Promise<ChannelPair> {
  const pcA = new base.RTCPeerConnection({ iceServers: [] }) as PeerConnectionLike
  const pcB = new base.RTCPeerConnection({ iceServers: [] }) as PeerConnectionLike
  const close = (): void => {
    pcA.close()
    pcB.close()
  }
  try {
    const a = pcA.createDataChannel(label)
    const b = new Promise<ChannelLike>((resolve) => {
      pcB.ondatachannel = (event) => resolve(event.channel)
    })
    await pcA.setLocalDescription(await pcA.createOffer())
    await pcB.setRemoteDescription(await gathered(pcA))
    await pcB.setLocalDescription(await pcB.createAnswer())
    await pcA.setRemoteDescription(await gathered(pcB))
    const channelB = await withTimeout(b, timeoutMs, 'the datachannel event')
    await withTimeout(
      Promise.all([opened(a), opened(channelB)]),
      timeoutMs,
      'both channels to open',
    )
    return { a, b: channelB, close }
  } catch (error) {
    close()
    throw error
  }
}

/** The local description once ICE gathering is complete (non-trickle: candidates are inside). */
async function gathered(pc: PeerConnectionLike): Promise<{ type: string; sdp: string }> {
  if (pc.iceGatheringState !== 'complete') {
    await withTimeout(
      new Promise<void>((resolve) => {
        pc.onicegatheringstatechange = () => {
          if (pc.iceGatheringState === 'complete') resolve()
        }
      }),
      5_000,
      'ICE gathering',
    )
  }
  const description = pc.localDescription
  if (description === null) throw new Error('no local description after gathering')
  return { type: description.type, sdp: description.sdp }
}

function opened(channel: ChannelLike): Promise<void> {
  if (channel.readyState === 'open') return Promise.resolve()
  return new Promise((resolve, reject) => {
    channel.onopen = () => resolve()
    channel.onerror = (event) => reject(new Error(`channel error before open: ${describe(event)}`))
    channel.onclose = () => reject(new Error('channel closed before open'))
  })
}

function describe(event: unknown): string {
  const error = (event as { error?: unknown } | null)?.error
  return error instanceof Error ? error.message : String(event)
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Resolves with the next `count` messages received on `channel`. */
export function receive(channel: ChannelLike, count: number): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const got: unknown[] = []
    if (count === 0) resolve(got)
    channel.onmessage = (event) => {
      got.push(event.data)
      if (got.length === count) resolve(got)
    }
    channel.onerror = (event) => reject(new Error(`channel error: ${describe(event)}`))
    channel.onclose = () =>
      reject(new Error(`channel closed after ${got.length}/${count} messages`))
  })
}
