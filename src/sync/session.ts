import { Awareness } from 'y-protocols/awareness'
import { createDoc } from '../doc/model'
import { deriveRoomKeys } from '../share/derive'
import type { DocAddress } from '../share/link'
import { LocalStore } from './local'
import type { DocumentSession } from './port'
import { StatusModel } from './status'
import { WebrtcAdapter } from './webrtc'
import type { WrtcLike } from './chunked'

// Composition of one open document: a Y.Doc, its awareness, the local store and the WebRTC
// adapter, all reporting into one status model. The app shell holds only the DocumentSession.

export interface SessionOptions {
  readonly signalingUrls: readonly string[]
  /** The WebRTC implementation; the browser's own when absent. */
  readonly wrtc?: WrtcLike
  readonly warn?: (message: string, error?: unknown) => void
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
  })
  let destroyed: Promise<void> | null = null
  return {
    doc,
    awareness,
    status,
    loaded: local.loaded.then(() => undefined),
    setNetworkEnabled(enabled) {
      if (enabled) webrtc.connect()
      else webrtc.disconnect()
    },
    destroy() {
      destroyed ??= (async () => {
        // y-webrtc announces our departure through awareness, so awareness goes last.
        await webrtc.destroy()
        await local.destroy()
        awareness.destroy()
        doc.destroy()
      })()
      return destroyed
    },
  }
}
