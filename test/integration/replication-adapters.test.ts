import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Awareness } from 'y-protocols/awareness'
import { bodyText } from '../../bench/lib/ydoc'
import { bodyOf, createDoc } from '../../src/doc/model'
import { deriveDocKeys } from '../../src/share/keys'
import { documentHash } from '../../src/share/link'
import * as Y from 'yjs'
import { AlwaysOnGroup } from '../../src/sync/always-on/group'
import type { ReplicationAdapter } from '../../src/sync/port'
import { StatusModel } from '../../src/sync/status'
import { startServer, type RunningServer } from '../../server/server'
import { nodeSocket, storeUrlOf } from '../helpers/always-on-client'
import {
  killAllMeshpadNodePeers,
  startMeshpadNodePeer,
  type MeshpadNodePeer,
} from '../helpers/meshpad-node-peer/index.js'
import {
  runReplicationContract,
  type ReplicationBackend,
  type Replica,
} from '../contracts/replication.contract'

// Both ReplicationAdapters run the port's one contract suite against the real server on a real
// loopback port: WebrtcAdapter in Node peers of their own process (y-webrtc allows one provider
// per room per realm), AlwaysOnGroup here in the test process over `ws`.

async function serve(): Promise<{ server: RunningServer; release: () => Promise<void> }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'meshpad-replication-'))
  const server = await startServer({ port: 0, logLevel: 'silent', dataDir })
  return {
    server,
    release: async () => {
      await server.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** The value of an unlabelled gauge in the server's Prometheus text. */
async function gauge(server: RunningServer, name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text()
  const match = new RegExp(`^${name} (\\d+)$`, 'm').exec(text)
  if (match?.[1] === undefined) throw new Error(`${name} missing from /metrics`)
  return Number(match[1])
}

function paragraphsOf(text: string): readonly string[] {
  return text === '' ? [] : text.split('\n')
}

runReplicationContract('WebrtcAdapter', async () => {
  const { server, release } = await serve()
  const signalUrl = `${server.url.replace(/^http/, 'ws')}/signal`
  const peers: MeshpadNodePeer[] = []
  return {
    async replica(address, name): Promise<Replica> {
      const peer = await startMeshpadNodePeer({
        name,
        link: documentHash(address),
        signalingUrls: [signalUrl],
      })
      peers.push(peer)
      return {
        connect: () => peer.connect(),
        disconnect: () => peer.disconnect(),
        destroy: () => peer.release(),
        append: (text) => peer.appendParagraph(text),
        paragraphs: async () => paragraphsOf(await peer.getText()),
      }
    },
    connections: () => gauge(server, 'meshpad_connections'),
    async teardown() {
      await Promise.all(peers.map((peer) => peer.destroy()))
      await killAllMeshpadNodePeers()
      await release()
    },
  } satisfies ReplicationBackend
})

runReplicationContract('AlwaysOnGroup', async () => {
  const { server, release } = await serve()
  const cleanups: (() => Promise<void>)[] = []
  return {
    replica(address, name): Promise<Replica> {
      const doc = createDoc()
      const awareness = new Awareness(doc)
      const adapter: ReplicationAdapter = new AlwaysOnGroup(doc, awareness, new StatusModel(), {
        urls: [storeUrlOf(server.url)],
        keys: deriveDocKeys(address),
        isRemoteOrigin: () => false,
        socket: nodeSocket,
        warn: (message) => console.warn(`[${name}] ${message}`),
      })
      let destroyed: Promise<void> | null = null
      const destroy = (): Promise<void> => (destroyed ??= adapter.destroy())
      cleanups.push(async () => {
        await destroy()
        awareness.destroy()
        doc.destroy()
      })
      return Promise.resolve({
        connect: () => Promise.resolve(adapter.connect()),
        disconnect: () => Promise.resolve(adapter.disconnect()),
        destroy,
        append: (text) => {
          const paragraph = new Y.XmlElement('paragraph')
          paragraph.insert(0, [new Y.XmlText(text)])
          bodyOf(doc).push([paragraph])
          return Promise.resolve()
        },
        paragraphs: () => Promise.resolve(paragraphsOf(bodyText(doc))),
      })
    },
    connections: () => gauge(server, 'meshpad_store_connections'),
    async teardown() {
      for (const cleanup of cleanups.splice(0)) await cleanup()
      await release()
    },
  } satisfies ReplicationBackend
})
