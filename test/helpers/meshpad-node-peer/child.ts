// Child process of a MeshpadNodePeer: one Meshpad peer (Y.Doc + Awareness + StatusModel +
// WebrtcAdapter, the app's own replication adapter with the chunked transport) driven by IPC
// commands (protocol.ts). One peer per process: y-webrtc keeps rooms in module-level maps, so
// two providers for one room in one JS realm throw "room already exists".
//
// Node 20 has no global WebSocket; y-webrtc's signaling client calls `new WebSocket(url)` on the
// global, so `ws` is installed there before y-webrtc loads. WebRTC is @roamhq/wrtc, which the
// adapter wraps in the chunked transport.
import { WebSocket as NodeWebSocket } from 'ws'
import type { ReadKeys } from '../../../src/share/keys.js'
import type {
  Attack,
  MeshpadPeerCommand,
  MeshpadPeerInit,
  MeshpadPeerReplies,
  MeshpadPeerReply,
  MeshpadPeerRequest,
} from './protocol.js'

Object.assign(globalThis, { WebSocket: NodeWebSocket })

const [
  Y,
  { Awareness, encodeAwarenessUpdate },
  model,
  access,
  status,
  webrtc,
  ydoc,
  trace,
  { default: wrtc },
  encoding,
  syncProtocol,
  { ed25519 },
  entry,
  payload,
  gateMessages,
  seal,
  ed,
] = await Promise.all([
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
  import('lib0/encoding'),
  import('y-protocols/sync'),
  import('@noble/curves/ed25519.js'),
  import('../../../src/protocol/entry.js'),
  import('../../../src/sync/always-on/payload.js'),
  import('../../../src/sync/gate/messages.js'),
  import('../../../src/sync/gate/seal.js'),
  import('../../../src/sync/gate/ed25519.js'),
])

interface Peer {
  readonly doc: InstanceType<typeof Y.Doc>
  readonly awareness: InstanceType<typeof Awareness>
  readonly status: InstanceType<typeof status.StatusModel>
  readonly adapter: InstanceType<typeof webrtc.WebrtcAdapter>
  /** The link's keys (a view link's hold no signing key). */
  readonly keys: ReadKeys
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
    ...(options.maxConns === undefined ? {} : { maxConns: options.maxConns }),
    wrtc,
    warn: (message, error) => console.error(`[meshpad-node-peer] ${message}`, error ?? ''),
  })
  peer = { doc, awareness, status: statusModel, adapter, keys: opened.keys, released: false }
}

/** An update that appends a paragraph holding `text`, made on a copy of this peer's document. */
function paragraphUpdate(text: string): Uint8Array {
  const { doc } = requirePeer()
  const copy = model.createDoc()
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc))
  const before = Y.encodeStateVector(copy)
  const paragraph = new Y.XmlElement('paragraph')
  paragraph.insert(0, [new Y.XmlText(text)])
  model.bodyOf(copy).push([paragraph])
  const update = Y.encodeStateAsUpdate(copy, before)
  copy.destroy()
  return update
}

/** What a modified client sends, past its own gate (see protocol.ts, Attack). */
async function craft(attack: Attack, text: string): Promise<Uint8Array> {
  const current = requirePeer()
  if (attack === 'forged-entry') {
    const fake = { ...current.keys, signingKey: ed25519.utils.randomSecretKey() }
    const bytes = await seal.sealEntryAsync(
      ed.ed25519Auto,
      fake,
      { kind: 'update', parent: entry.NO_PARENT, covers: 0 },
      payload.encodePayload({ type: 'update-v1', update: paragraphUpdate(text) }),
    )
    return gateMessages.encodeGateMessage({ type: 'entries', entries: [bytes] })
  }
  const encoder = encoding.createEncoder()
  if (attack === 'awareness') {
    const fakeDoc = new Y.Doc()
    const fake = new Awareness(fakeDoc)
    fake.setLocalStateField('user', { name: text, color: '#000000' })
    encoding.writeVarUint(encoder, 1) // y-webrtc's messageAwareness
    encoding.writeVarUint8Array(encoder, encodeAwarenessUpdate(fake, [fakeDoc.clientID]))
    fake.destroy()
    fakeDoc.destroy()
    return encoding.toUint8Array(encoder)
  }
  encoding.writeVarUint(encoder, 0) // y-webrtc's messageSync
  if (attack === 'sync-update') syncProtocol.writeUpdate(encoder, paragraphUpdate(text))
  else {
    const forged = model.createDoc()
    Y.applyUpdate(forged, paragraphUpdate(text))
    syncProtocol.writeSyncStep2(encoder, forged)
    forged.destroy()
  }
  return encoding.toUint8Array(encoder)
}

interface SimplePeer {
  readonly connected: boolean
  send(bytes: Uint8Array): void
}

/** The data channels of this peer's y-webrtc room, reached as a modified client would. */
function channels(): SimplePeer[] {
  const provider = (
    requirePeer().adapter as unknown as {
      provider: { room: { webrtcConns: Map<string, { peer: SimplePeer }> } | null }
    }
  ).provider
  return [...(provider.room?.webrtcConns.values() ?? [])].map((conn) => conn.peer)
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
    case 'attack': {
      const bytes = await craft(command.attack, command.text)
      let reached = 0
      for (const channel of channels()) {
        if (!channel.connected) continue
        channel.send(bytes)
        reached += 1
      }
      return reached
    }
    case 'gateStats': {
      const { rejectedEntries, rejectedPresence, malformedMessages, appliedEntries } =
        requirePeer().adapter.gate.stats
      return { rejectedEntries, rejectedPresence, malformedMessages, appliedEntries }
    }
    case 'people': {
      const { awareness } = requirePeer()
      const people: { name: string; role: string }[] = []
      for (const [id, state] of awareness.getStates()) {
        if (id === awareness.clientID) continue
        const { user, role } = state as { user?: { name?: unknown }; role?: unknown }
        people.push({
          name: typeof user?.name === 'string' ? user.name : '?',
          role: typeof role === 'string' ? role : 'none',
        })
      }
      return people
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
