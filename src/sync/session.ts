import { Awareness } from 'y-protocols/awareness'
import { createDoc } from '../doc/model'
import { deriveRoomKeys } from '../share/derive'
import { deriveDocKeys } from '../share/keys'
import { AlwaysOnGroup } from './always-on/group'
import { StoreReplicator } from './always-on/replicator'
import type { SocketFactory } from './always-on/store-link'
import type { DocAddress } from '../share/link'
import { LocalStore } from './local'
import { watchRecovery } from './recovery'
import type { DocumentSession } from './port'
import { StatusModel } from './status'
import { WebrtcAdapter, type IceServer } from './webrtc'
import type { WrtcLike } from './chunked'

// Composition of one open document: a Y.Doc, its awareness, the local store and the WebRTC
// adapter, all reporting into one status model. The app shell holds only the DocumentSession.

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

export function openDocumentSession(address: DocAddress, options: SessionOptions): DocumentSession {
  const warn = options.warn ?? ((message, error) => console.warn(message, error))
  const doc = createDoc()
  const awareness = new Awareness(doc)
  const status = new StatusModel()
  const local = new LocalStore(address, doc, status, warn)
  const webrtc = new WebrtcAdapter(doc, awareness, status, {
    keys: deriveRoomKeys(address),
    signalingUrls: options.signalingUrls,
    warn,
    ...(options.wrtc ? { wrtc: options.wrtc } : {}),
    ...(options.iceServers ? { iceServers: options.iceServers } : {}),
  })
  // Changes that arrive through y-webrtc (its room is the origin, for WebRTC and BroadcastChannel
  // alike) or from IndexedDB came from elsewhere; everything else was made in this tab.
  const isRemoteOrigin = (origin: unknown): boolean =>
    origin === local || (typeof origin === 'object' && origin !== null && 'webrtcConns' in origin)
  const storeUrls = options.storeUrls ?? []
  const alwaysOn =
    storeUrls.length > 0
      ? new AlwaysOnGroup(doc, awareness, status, {
          urls: storeUrls,
          keys: deriveDocKeys(address),
          isRemoteOrigin,
          warn,
          ...(options.storeSocket ? { socket: options.storeSocket } : {}),
        })
      : null
  const stopRecovery = watchRecovery(doc, status, local.loaded, {
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
  void local.loaded.then(() => {
    localLoaded = true
    if (networkEnabled && destroyed === null) alwaysOn?.connect()
  })
  return {
    doc,
    awareness,
    status,
    loaded: local.loaded.then(() => undefined),
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
        await local.destroy()
        awareness.destroy()
        doc.destroy()
      })()
      return destroyed
    },
  }
}
