// Child process of a MeshpadNodePeer: one Meshpad peer (Y.Doc + Awareness + StatusModel +
// WebrtcAdapter, the app's own replication adapter with the chunked transport) driven by IPC
// commands (protocol.ts). One peer per process: y-webrtc keeps rooms in module-level maps, so
// two providers for one room in one JS realm throw "room already exists".
//
// Node 20 has no global WebSocket; y-webrtc's signaling client calls `new WebSocket(url)` on the
// global, so `ws` is installed there before y-webrtc loads. WebRTC is @roamhq/wrtc, which the
// adapter wraps in the chunked transport.
import { WebSocket as NodeWebSocket } from 'ws'
import type {
  MeshpadPeerCommand,
  MeshpadPeerInit,
  MeshpadPeerReplies,
  MeshpadPeerReply,
  MeshpadPeerRequest,
} from './protocol.js'

Object.assign(globalThis, { WebSocket: NodeWebSocket })

const [Y, { Awareness }, model, access, status, webrtc, ydoc, trace, { default: wrtc }] =
  await Promise.all([
    import('yjs'),
    import('y-protocols/awareness'),
    import('../../../src/doc/model.js'),
    import('../../../src/share/access.js'),
    import('../../../src/sync/status.js'),
    import('../../../src/sync/webrtc.js'),
    import('../../../bench/lib/ydoc.js'),
    import('../../../bench/lib/trace.js'),
    // CommonJS: the default export carries all of its constructors.
    import('@roamhq/wrtc'),
  ])

interface Peer {
  readonly doc: InstanceType<typeof Y.Doc>
  readonly awareness: InstanceType<typeof Awareness>
  readonly status: InstanceType<typeof status.StatusModel>
  readonly adapter: InstanceType<typeof webrtc.WebrtcAdapter>
  released: boolean
}

let peer: Peer | null = null

function requirePeer(): Peer {
  if (peer === null) throw new Error('peer not initialised: send init first')
  return peer
}

function init(options: MeshpadPeerInit): void {
  if (peer !== null) throw new Error('peer already initialised')
  const opened = access.parseAccessHash(options.link)
  if (opened === null) throw new Error(`not a document link: ${options.link}`)
  const doc = model.createDoc()
  const awareness = new Awareness(doc)
  awareness.setLocalStateField('user', { name: 'node peer', color: '#1971c2' })
  const statusModel = new status.StatusModel()
  const adapter = new webrtc.WebrtcAdapter(doc, awareness, statusModel, {
    keys: opened.keys,
    signalingUrls: options.signalingUrls,
    wrtc,
    warn: (message, error) => console.error(`[meshpad-node-peer] ${message}`, error ?? ''),
  })
  peer = { doc, awareness, status: statusModel, adapter, released: false }
}

async function run(
  command: MeshpadPeerCommand,
): Promise<MeshpadPeerReplies[MeshpadPeerCommand['op']]> {
  switch (command.op) {
    case 'init':
      init(command.init)
      return null
    case 'replayTrace': {
      const started = performance.now()
      ydoc.replayParagraphs(requirePeer().doc, trace.loadTrace(command.trace).patches)
      return performance.now() - started
    }
    case 'getText':
      return ydoc.bodyText(requirePeer().doc)
    case 'getStateVector':
      return Buffer.from(Y.encodeStateVector(requirePeer().doc)).toString('base64')
    case 'stateBytes':
      return Y.encodeStateAsUpdate(requirePeer().doc).byteLength
    case 'status': {
      const { peers, connection, problem } = requirePeer().status.get()
      return { peers, connection, problem }
    }
    case 'connect':
      requirePeer().adapter.connect()
      return null
    case 'disconnect':
      requirePeer().adapter.disconnect()
      return null
    case 'release': {
      const current = requirePeer()
      current.released = true
      await current.adapter.destroy()
      return null
    }
    case 'appendParagraph': {
      const { doc } = requirePeer()
      const paragraph = new Y.XmlElement('paragraph')
      paragraph.insert(0, [new Y.XmlText(command.text)])
      model.bodyOf(doc).push([paragraph])
      return null
    }
    case 'destroy': {
      const { doc, awareness, adapter, released } = requirePeer()
      if (!released) await adapter.destroy()
      awareness.destroy()
      doc.destroy()
      // y-webrtc destroys its room after its key promise settles; give it that turn.
      await new Promise((resolve) => setImmediate(resolve))
      return null
    }
  }
}

process.on('message', (raw: unknown) => {
  const request = raw as MeshpadPeerRequest
  run(request).then(
    (value) => {
      process.send?.({ id: request.id, ok: true, value } satisfies MeshpadPeerReply)
      if (request.op === 'destroy') process.disconnect()
    },
    (error: unknown) => {
      process.send?.({
        id: request.id,
        ok: false,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      } satisfies MeshpadPeerReply)
    },
  )
})

// The test process died or let go of us: never outlive it.
process.on('disconnect', () => process.exit(0))

process.send?.({ ready: true })
