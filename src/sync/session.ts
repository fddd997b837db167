import { Awareness } from 'y-protocols/awareness'
import { createDoc } from '../doc/model'
import type { DocAccess } from '../share/access'
import { AlwaysOnGroup } from './always-on/group'
import { StoreReplicator } from './always-on/replicator'
import type { SocketFactory } from './always-on/store-link'
import { sealTombstone } from './always-on/tombstone'
import { Gate } from './gate/gate'
import { LocalStore } from './local'
import { watchRecovery } from './recovery'
import type { DocumentSession } from './port'
import { StatusModel } from './status'
import { WebrtcAdapter, type IceServer } from './webrtc'
import type { WrtcLike } from './chunked'

// Composition of one open document: a Y.Doc, its awareness, the local store, the WebRTC adapter
// (its gate) and the always-on peers, all reporting into one status model. The app shell holds
// only the DocumentSession. A view link opens the same composition with read keys: nothing it
// does can be signed, so nothing it does reaches anyone (GATE-1, STORE-13).

export interface SessionOptions {
  readonly signalingUrls: readonly string[]
  /** Always-on peers (`/store` WebSockets) that keep the document; empty for none. */
  readonly storeUrls?: readonly string[]
  /** The WebSocket implementation for always-on peers; the browser's own when absent. */
  readonly storeSocket?: SocketFactory
  /** STUN/TURN servers the operator chose (`ICE_SERVERS`); y-webrtc's default when absent. */
  readonly iceServers?: readonly IceServer[]
  /** The WebRTC implementation; the browser's own when absent. */
  readonly wrtc?: WrtcLike
  readonly warn?: (message: string, error?: unknown) => void
  /**
   * This browser held content of the document before (rule RECOVER-1): an empty local copy then
   * means it was removed, and what the network delivers rebuilds it (the user gets a notice).
   */
  readonly expectStoredCopy?: boolean
}

export function openDocumentSession(access: DocAccess, options: SessionOptions): DocumentSession {
  const warn = options.warn ?? ((message, error) => console.warn(message, error))
  const doc = createDoc()
  const awareness = new Awareness(doc)
  const status = new StatusModel()
  const moved = (): void => status.update({ moved: true })
  // A reader's copy is kept in memory only for now: the local store files copies under the edit
  // link's derivation (LINK-7), which a view link cannot make.
  const local = access.mode === 'edit' ? new LocalStore(access.address, doc, status, warn) : null
  if (!local) status.update({ loaded: true, viewOnly: true })
  const webrtc = new WebrtcAdapter(doc, awareness, status, {
    keys: access.keys,
    signalingUrls: options.signalingUrls,
    warn,
    onMoved: moved,
    ...(options.wrtc ? { wrtc: options.wrtc } : {}),
    ...(options.iceServers ? { iceServers: options.iceServers } : {}),
  })
  // Changes that arrive through the gate (WebRTC and other tabs) or from IndexedDB came from
  // elsewhere; everything else was made in this tab.
  const isRemoteOrigin = (origin: unknown): boolean =>
    (local !== null && origin === local) || origin instanceof Gate
  const storeUrls = options.storeUrls ?? []
  const alwaysOn =
    storeUrls.length > 0
      ? new AlwaysOnGroup(doc, awareness, status, {
          urls: storeUrls,
          keys: access.keys,
          isRemoteOrigin,
          warn,
          onMoved: moved,
          presence: webrtc.gate.presence,
          ...(options.storeSocket ? { socket: options.storeSocket } : {}),
        })
      : null
  const report = local ? local.loaded : Promise.resolve(null)
  const loaded = report.then(() => undefined)
  const stopRecovery = watchRecovery(doc, status, report, {
    expectStoredCopy: options.expectStoredCopy ?? false,
    sourceOf: (origin) =>
      origin instanceof StoreReplicator
        ? 'server'
        : origin !== local && isRemoteOrigin(origin)
          ? 'peers'
          : null,
  })
  let destroyed: Promise<void> | null = null
  let networkEnabled = true
  let localLoaded = false
  // After the local copy is in the doc, so the first exchange uploads exactly what the peer lacks.
  void loaded.then(() => {
    localLoaded = true
    alwaysOn?.listen()
    if (networkEnabled && destroyed === null) alwaysOn?.connect()
  })
  return {
    doc,
    awareness,
    status,
    loaded,
    canEdit: access.mode === 'edit',
    async moveAway() {
      if (access.mode !== 'edit') return { peers: 0, stores: false }
      // Over WebRTC to everyone here now (they tell those who come later), and to every
      // always-on peer, which then refuses the old keys' writes (MOVE-2, MOVE-7).
      webrtc.gate.broadcastEntry(sealTombstone(access.keys))
      const peers = status.get().peers
      const stores = alwaysOn ? await alwaysOn.publishTombstone() : false
      status.update({ moved: true })
      return { peers, stores }
    },
    setNetworkEnabled(enabled) {
      networkEnabled = enabled
      if (enabled) {
        webrtc.connect()
        if (localLoaded) alwaysOn?.connect()
      } else {
        webrtc.disconnect()
        alwaysOn?.disconnect()
      }
    },
    destroy() {
      destroyed ??= (async () => {
        stopRecovery()
        // y-webrtc announces our departure through awareness, so awareness goes last.
        await webrtc.destroy()
        await alwaysOn?.destroy()
        await local?.destroy()
        awareness.destroy()
        doc.destroy()
      })()
      return destroyed
    },
  }
}
