import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { killAllRpcChildren, startRpcChild } from '../child-rpc'
import type {
  Attack,
  GateCounters,
  MeshpadPeerCommand,
  MeshpadPeerInit,
  MeshpadPeerReplies,
  MeshpadPeerStatus,
} from './protocol.js'

export type { Attack, GateCounters, MeshpadPeerInit, MeshpadPeerStatus } from './protocol.js'

// A Meshpad peer (the app's WebrtcAdapter + StatusModel + Awareness + Y.Doc, chunked transport
// over @roamhq/wrtc) in its own Node process, driven over IPC (../child-rpc.ts); the same pattern
// as test/helpers/node-peer, which runs stock y-webrtc peers.
const childPath = path.join(path.dirname(fileURLToPath(import.meta.url)), 'child.ts')

export interface MeshpadNodePeerOptions extends MeshpadPeerInit {
  readonly name?: string
  readonly commandTimeoutMs?: number
  readonly startTimeoutMs?: number
}

export interface MeshpadNodePeer {
  readonly name: string
  readonly pid: number
  replayTrace(trace: string): Promise<number>
  getText(): Promise<string>
  getStateVector(): Promise<string>
  stateBytes(): Promise<number>
  status(): Promise<MeshpadPeerStatus>
  /** The adapter's ReplicationAdapter methods, called in the child. */
  connect(): Promise<void>
  disconnect(): Promise<void>
  /** Awaits the adapter's destroy(); the document stays, for reading and local edits. */
  release(): Promise<void>
  /** A local edit: appends a paragraph holding `text`. */
  appendParagraph(text: string): Promise<void>
  /** Destroys the peer and lets the child exit; then waits for it. */
  destroy(): Promise<void>
  /** SIGKILL. Safe to call twice. */
  kill(): Promise<void>
  /** A modified client's crafted traffic (THREAT-9); resolves with how many peers it reached. */
  attack(attack: Attack, text: string): Promise<number>
  gateStats(): Promise<GateCounters>
  people(): Promise<{ readonly name: string; readonly role: string }[]>
  /** stdout+stderr of the child so far, for failure messages. */
  output(): string
}

export async function startMeshpadNodePeer(
  options: MeshpadNodePeerOptions,
): Promise<MeshpadNodePeer> {
  const rpc = await startRpcChild<MeshpadPeerCommand, MeshpadPeerReplies>({
    childPath,
    name: options.name ?? 'meshpad-node-peer',
    commandTimeoutMs: options.commandTimeoutMs ?? 60_000,
    ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
  })
  const { request, kill, name } = rpc

  try {
    await request('init', {
      init: {
        link: options.link,
        signalingUrls: options.signalingUrls,
        ...(options.maxConns === undefined ? {} : { maxConns: options.maxConns }),
      },
    })
  } catch (error) {
    await kill()
    throw error
  }

  return {
    name,
    pid: rpc.pid,
    replayTrace: (trace) => request('replayTrace', { trace }),
    getText: () => request('getText', {}),
    getStateVector: () => request('getStateVector', {}),
    stateBytes: () => request('stateBytes', {}),
    status: () => request('status', {}),
    connect: async () => void (await request('connect', {})),
    disconnect: async () => void (await request('disconnect', {})),
    release: async () => void (await request('release', {})),
    appendParagraph: async (text) => void (await request('appendParagraph', { text })),
    attack: (attack, text) => request('attack', { attack, text }),
    gateStats: () => request('gateStats', {}),
    people: () => request('people', {}),
    destroy: () => rpc.shutdown('destroy'),
    kill,
    output: () => rpc.output(),
  }
}

/** SIGKILLs every Meshpad Node peer child still running and waits for them to be gone. */
export const killAllMeshpadNodePeers = killAllRpcChildren
