// chunkingWrtc(base): a `wrtc` object for simple-peer (y-webrtc passes it through `peerOpts`)
// whose RTCPeerConnection hands out ChunkedDataChannels instead of raw data channels, from
// createDataChannel() on the offering side and from the `datachannel` event on the answering
// side. Everything else of the peer connection is the real one, untouched.
//
//   Node:    new WebrtcProvider(room, doc, { peerOpts: { wrtc: chunkingWrtc(wrtc) } })
//   Browser: chunkingWrtc({ RTCPeerConnection, RTCSessionDescription, RTCIceCandidate })
//
// The peer connection is wrapped in a Proxy rather than subclassed: @roamhq/wrtc defines
// `ondatachannel` as an own data property of each instance, which a subclass accessor cannot
// intercept. Methods are bound to the real object because browsers' native methods refuse a
// Proxy as `this`.
import { ChunkedDataChannel, type RawDataChannel } from './channel'
import { resolveChunkingOptions, type ChunkingOptions } from './options'

/** What simple-peer reads from `opts.wrtc`. */
export interface WrtcLike {
  RTCPeerConnection: new (...args: never[]) => object
  RTCSessionDescription: unknown
  RTCIceCandidate: unknown
}

type DataChannelEventLike = { readonly channel?: RawDataChannel }
type DataChannelListener =
  | ((event: { type: 'datachannel'; channel: ChunkedDataChannel; target: object }) => void)
  | { handleEvent(event: { type: 'datachannel'; channel: ChunkedDataChannel }): void }

interface PeerConnectionLike {
  createDataChannel(label: string, init?: object): RawDataChannel
  addEventListener(type: string, listener: (event: DataChannelEventLike) => void): void
}

export type ChunkingWrtc<W extends WrtcLike> = Pick<
  W,
  'RTCPeerConnection' | 'RTCSessionDescription' | 'RTCIceCandidate'
>

/**
 * Returns the three constructors simple-peer reads from `opts.wrtc`, taken from `base`, with an
 * RTCPeerConnection that wraps every data channel in a ChunkedDataChannel with `options`.
 * Options are checked now: a bad one throws at once.
 */
export function chunkingWrtc<W extends WrtcLike>(
  base: W,
  options: ChunkingOptions = {},
): ChunkingWrtc<W> {
  if (typeof base?.RTCPeerConnection !== 'function') {
    throw new Error(
      'chunkingWrtc: base must provide RTCPeerConnection, RTCSessionDescription and ' +
        'RTCIceCandidate (e.g. the @roamhq/wrtc module, or those three globals in a browser)',
    )
  }
  const resolved = resolveChunkingOptions(options)
  const Base = base.RTCPeerConnection as unknown as new (...args: unknown[]) => PeerConnectionLike
  function ChunkingRTCPeerConnection(...args: unknown[]): object {
    return wrapPeerConnection(new Base(...args), resolved)
  }
  // Statics such as generateCertificate stay reachable.
  for (const key of Object.getOwnPropertyNames(Base)) {
    if (key in ChunkingRTCPeerConnection) continue
    const descriptor = Object.getOwnPropertyDescriptor(Base, key)
    if (descriptor) Object.defineProperty(ChunkingRTCPeerConnection, key, descriptor)
  }
  ChunkingRTCPeerConnection.prototype = Base.prototype as object
  return {
    RTCPeerConnection: ChunkingRTCPeerConnection as unknown as W['RTCPeerConnection'],
    RTCSessionDescription: base.RTCSessionDescription,
    RTCIceCandidate: base.RTCIceCandidate,
  }
}

function wrapPeerConnection(pc: PeerConnectionLike, options: ChunkingOptions): object {
  const listeners = new Set<DataChannelListener>()
  let handler: DataChannelListener | null = null
  const bound = new Map<PropertyKey, unknown>()

  const createDataChannel = (label: string, init?: object): ChunkedDataChannel =>
    new ChunkedDataChannel(pc.createDataChannel(label, init), options)

  const addEventListener = (type: string, listener: unknown, ...rest: unknown[]): void => {
    if (type === 'datachannel') {
      if (listener) listeners.add(listener as DataChannelListener)
      return
    }
    const real = (pc as unknown as Record<string, (...a: unknown[]) => void>).addEventListener
    real?.call(pc, type, listener, ...rest)
  }
  const removeEventListener = (type: string, listener: unknown, ...rest: unknown[]): void => {
    if (type === 'datachannel') {
      listeners.delete(listener as DataChannelListener)
      return
    }
    const real = (pc as unknown as Record<string, (...a: unknown[]) => void>).removeEventListener
    real?.call(pc, type, listener, ...rest)
  }

  const proxy: object = new Proxy(pc, {
    get(target, prop) {
      if (prop === 'createDataChannel') return createDataChannel
      if (prop === 'addEventListener') return addEventListener
      if (prop === 'removeEventListener') return removeEventListener
      if (prop === 'ondatachannel') return handler
      const value: unknown = Reflect.get(target, prop, target)
      if (typeof value !== 'function') return value
      let fn = bound.get(prop)
      if (fn === undefined) {
        fn = (value as (...a: unknown[]) => unknown).bind(target)
        bound.set(prop, fn)
      }
      return fn
    },
    set(target, prop, value) {
      if (prop === 'ondatachannel') {
        handler = typeof value === 'function' ? (value as DataChannelListener) : null
        return true
      }
      return Reflect.set(target, prop, value, target)
    },
  })

  pc.addEventListener('datachannel', (event) => {
    if (!event.channel) return // simple-peer reports a missing channel itself; nothing to wrap
    const wrapped = {
      type: 'datachannel' as const,
      channel: new ChunkedDataChannel(event.channel, options),
      target: proxy,
      currentTarget: proxy,
    }
    const all = handler === null ? [...listeners] : [...listeners, handler]
    for (const listener of all) {
      if (typeof listener === 'function') listener.call(proxy, wrapped)
      else listener.handleEvent(wrapped)
    }
  })
  return proxy
}
