// Child process of a NodePeer: one unmodified y-webrtc WebrtcProvider over one Y.Doc, driven by
// IPC commands from the test process (see protocol.ts). One provider per process because
// y-webrtc keeps its rooms and signaling connections in module-level maps: a second provider for
// the same room in one JS realm throws "room already exists".
//
// Node 20 has no global WebSocket; y-webrtc's signaling client (lib0/websocket) calls
// `new WebSocket(url)` on the global, so `ws` is installed there before y-webrtc is loaded.
// WebRTC comes from @roamhq/wrtc through simple-peer's `wrtc` option; no ICE servers, so
// candidates are host candidates only and nothing leaves the machine.
import { WebSocket as NodeWebSocket } from 'ws'
import type {
  PeerCommand,
  PeerInit,
  PeerReplies,
  PeerReply,
  PeerRequest,
  PeerStatus,
} from './protocol.js'

Object.assign(globalThis, { WebSocket: NodeWebSocket })

const [Y, { WebrtcProvider }, { default: wrtc }] = await Promise.all([
  import('yjs'),
  import('y-webrtc'),
  // CommonJS: its named exports are not all visible to ESM, the default export has them all.
  import('@roamhq/wrtc'),
])

type Provider = InstanceType<typeof WebrtcProvider>

/** The part of lib0's WebsocketClient (y-webrtc's SignalingConn) this child reads. */
interface SignalingConnView {
  readonly url: string
  readonly connected: boolean
}

const TEXT = 'text'
/** Pause between leaving a dead signaling URL and joining the next one. */
const FAILOVER_REJOIN_MS = 500
let doc: InstanceType<typeof Y.Doc> | null = null
let provider: Provider | null = null
let failovers = 0
/** False between a `disconnect` and a `connect` command: failover must not reconnect then. */
let wantConnected = true

function requireProvider(): { doc: InstanceType<typeof Y.Doc>; provider: Provider } {
  if (doc === null || provider === null) throw new Error('peer not initialised: send init first')
  return { doc, provider }
}

function init(options: PeerInit): void {
  if (provider !== null) throw new Error('peer already initialised')
  if (options.signaling.length === 0) throw new Error('no signaling URL given')
  const failover = options.signalingMode === 'failover'
  doc = new Y.Doc()
  provider = new WebrtcProvider(options.room, doc, {
    signaling: failover ? options.signaling.slice(0, 1) : [...options.signaling],
    ...(options.password === null ? {} : { password: options.password }),
    peerOpts: { wrtc, config: { iceServers: [] } },
  })
  if (failover) watchForFailover(options.signaling, options.failoverAfterMs ?? 1_000)
}

function setSignaling(urls: readonly string[]): void {
  // y-webrtc has no API for this: disconnect closes the signaling sockets (and the WebRTC
  // connections), then connect opens one per URL in `signalingUrls`. `signalingConns` is
  // cleared because disconnect leaves the old entries in it and connect appends.
  const { provider } = requireProvider()
  provider.disconnect()
  provider.signalingUrls = [...urls]
  provider.signalingConns = []
  provider.connect()
}

function watchForFailover(urls: readonly string[], afterMs: number): void {
  let current = 0
  let downSince: number | null = null
  let switching = false
  setInterval(() => {
    const conns = requireProvider().provider.signalingConns as SignalingConnView[]
    if (switching || !wantConnected || conns.some((conn) => conn.connected)) {
      downSince = null
      return
    }
    downSince ??= Date.now()
    if (Date.now() - downSince < afterMs) return
    current = (current + 1) % urls.length
    downSince = null
    failovers++
    // Leave first (closing the WebRTC connections), rejoin a moment later: by then the other
    // peers have seen the close and dropped their entry for us, so our announce on the new
    // instance starts exactly one connection per peer. Rejoining at once races their
    // re-announce, and when two y-webrtc peers announce to each other at the same moment its
    // glare handling can leave both stuck (see startPeersInTurn in index.ts).
    switching = true
    const { provider } = requireProvider()
    provider.disconnect()
    setTimeout(() => {
      switching = false
      if (wantConnected) setSignaling([urls[current] as string])
    }, FAILOVER_REJOIN_MS)
  }, 100).unref()
}

function status(): PeerStatus {
  const { provider } = requireProvider()
  const conns = provider.room === null ? [] : [...provider.room.webrtcConns.values()]
  const signaling: Record<string, boolean> = {}
  for (const conn of provider.signalingConns as SignalingConnView[]) {
    signaling[conn.url] = (signaling[conn.url] ?? false) || conn.connected
  }
  return {
    peers: conns.filter((conn) => conn.connected).length,
    peerEntries: conns.length,
    signaling,
    synced: provider.room?.synced ?? false,
    failovers,
  }
}

async function run(command: PeerCommand): Promise<PeerReplies[PeerCommand['op']]> {
  switch (command.op) {
    case 'init':
      init(command.init)
      return null
    case 'insert': {
      const text = requireProvider().doc.getText(TEXT)
      text.insert(command.index ?? text.length, command.text)
      return null
    }
    case 'getText':
      return requireProvider().doc.getText(TEXT).toJSON()
    case 'getStateVector':
      return Buffer.from(Y.encodeStateVector(requireProvider().doc)).toString('base64')
    case 'status':
      return status()
    case 'setSignaling':
      setSignaling(command.urls)
      return null
    case 'disconnect':
      wantConnected = false
      requireProvider().provider.disconnect()
      return null
    case 'connect': {
      // disconnect leaves the old entries in `signalingConns` and connect appends: clear them.
      const { provider } = requireProvider()
      provider.signalingConns = []
      provider.connect()
      wantConnected = true
      return null
    }
    case 'destroy': {
      const { doc, provider } = requireProvider()
      provider.destroy()
      doc.destroy()
      // y-webrtc destroys its room after the key promise settles; give it that turn.
      await new Promise((resolve) => setImmediate(resolve))
      return null
    }
  }
}

function reply(message: PeerReply): void {
  process.send?.(message)
}

process.on('message', (raw: unknown) => {
  const request = raw as PeerRequest
  run(request).then(
    (value) => {
      reply({ id: request.id, ok: true, value })
      if (request.op === 'destroy') process.disconnect()
    },
    (error: unknown) => {
      reply({
        id: request.id,
        ok: false,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      })
    },
  )
})

// The test process died or let go of us: never outlive it.
process.on('disconnect', () => process.exit(0))

process.send?.({ ready: true })
