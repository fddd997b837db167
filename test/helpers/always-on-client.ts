import WebSocket from 'ws'
import * as Y from 'yjs'
import { Awareness } from 'y-protocols/awareness'
import type { DocAddress } from '../../src/share/link'
import { deriveDocKeys, type DocKeys, type ReadKeys } from '../../src/share/keys'
import { AlwaysOnGroup } from '../../src/sync/always-on/group'
import type { SocketLike } from '../../src/sync/always-on/store-link'
import { StatusModel } from '../../src/sync/status'

// A browser's always-on replication in Node: the app's own AlwaysOnGroup over `ws`, on a plain
// Y.Doc. Integration tests and the bench use it to play writers and readers that are never
// online together.

export const nodeSocket = (url: string): SocketLike => new WebSocket(url) as unknown as SocketLike

export interface StoreClient {
  readonly doc: Y.Doc
  readonly text: Y.Text
  readonly awareness: Awareness
  readonly status: StatusModel
  readonly group: AlwaysOnGroup
  destroy(): Promise<void>
}

export function storeClient(
  storeUrls: readonly string[],
  address: DocAddress,
  options: {
    doc?: Y.Doc
    warn?: (message: string) => void
    /** Other keys than the address's edit keys: view keys make a reader. */
    keys?: ReadKeys | DocKeys
    socket?: (url: string) => SocketLike
    onMoved?: (movedAt: number) => void
  } = {},
): StoreClient {
  const doc = options.doc ?? new Y.Doc()
  const awareness = new Awareness(doc)
  const status = new StatusModel()
  const group = new AlwaysOnGroup(doc, awareness, status, {
    urls: storeUrls,
    keys: options.keys ?? deriveDocKeys(address),
    isRemoteOrigin: () => false,
    socket: options.socket ?? nodeSocket,
    warn: options.warn ?? (() => undefined),
    ...(options.onMoved ? { onMoved: options.onMoved } : {}),
  })
  group.connect()
  return {
    doc,
    text: doc.getText('t'),
    awareness,
    status,
    group,
    async destroy() {
      await group.destroy()
      awareness.destroy()
      doc.destroy()
    },
  }
}

export function storeUrlOf(httpUrl: string): string {
  return `${httpUrl.replace(/^http/, 'ws')}/store`
}
