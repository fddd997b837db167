import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { killAllRpcChildren, startRpcChild } from '../child-rpc'
import type { PeerCommand, PeerInit, PeerReplies, PeerStatus } from './protocol.js'

export type { PeerInit, PeerStatus } from './protocol.js'

// A y-webrtc peer in its own Node process, driven from the test over IPC (../child-rpc.ts: every
// method settles with the child's answer or rejects on error, exit or timeout; children never
// outlive the test).
const childPath = path.join(path.dirname(fileURLToPath(import.meta.url)), 'child.ts')

export interface NodePeerOptions extends PeerInit {
  /** Shown in errors and in the child's output prefix. */
  readonly name?: string
  readonly commandTimeoutMs?: number
  readonly startTimeoutMs?: number
}

export interface NodePeer {
  readonly name: string
  readonly pid: number
  insert(text: string, index?: number): Promise<void>
  getText(): Promise<string>
  getStateVector(): Promise<string>
  status(): Promise<PeerStatus>
  /** Open WebRTC connections (data channel up). */
  peerCount(): Promise<number>
  setSignaling(urls: readonly string[]): Promise<void>
  disconnect(): Promise<void>
  connect(): Promise<void>
  /** Destroys the provider and lets the child exit; then waits for it. */
  destroy(): Promise<void>
  /** SIGKILL, no questions asked. Safe to call twice. */
  kill(): Promise<void>
  /** stdout+stderr of the child so far, for failure messages. */
  output(): string
}

export async function startNodePeer(options: NodePeerOptions): Promise<NodePeer> {
  const name = options.name ?? `peer-${options.room}`
  const rpc = await startRpcChild<PeerCommand, PeerReplies>({
    childPath,
    name,
    // y-webrtc's own log (lib0/logging reads LOG): kept in `output()` for failure messages.
    env: { LOG: 'y-webrtc' },
    commandTimeoutMs: options.commandTimeoutMs ?? 20_000,
    ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
  })
  const request = rpc.request
  const kill = rpc.kill

  try {
    await request('init', {
      init: {
        room: options.room,
        password: options.password,
        signaling: options.signaling,
        ...(options.signalingMode === undefined ? {} : { signalingMode: options.signalingMode }),
        ...(options.failoverAfterMs === undefined
          ? {}
          : { failoverAfterMs: options.failoverAfterMs }),
      },
    })
  } catch (error) {
    await kill()
    throw error
  }

  return {
    name,
    pid: rpc.pid,
    insert: async (text, index) => {
      await request('insert', index === undefined ? { text } : { text, index })
    },
    getText: () => request('getText', {}),
    getStateVector: () => request('getStateVector', {}),
    status: () => request('status', {}),
    peerCount: async () => (await request('status', {})).peers,
    setSignaling: async (urls) => {
      await request('setSignaling', { urls })
    },
    disconnect: async () => {
      await request('disconnect', {})
    },
    connect: async () => {
      await request('connect', {})
    },
    destroy: () => rpc.shutdown('destroy'),
    kill,
    output: () => rpc.output(),
  }
}

/** SIGKILLs every Node peer child still running and waits for them to be gone. */
export const killAllNodePeers = killAllRpcChildren

/**
 * Starts peers one after another, each once its signaling socket is open (and so its announce
 * sent), so the later peer's announce is what starts each connection. Why not all at once: when
 * two y-webrtc 10.3.0 peers announce at the same moment, both create an initiator connection, and
 * in about 1 run in 25 here its glare handling leaves each side holding a dead connection entry
 * for the other, after which it ignores the other's announces: the pair never connects. That is a
 * client bug, not a signaling fault, and tests of the server must not hinge on it.
 */
export async function startPeersInTurn<const T extends readonly NodePeerOptions[]>(
  list: T,
): Promise<{ -readonly [K in keyof T]: NodePeer }> {
  const peers: NodePeer[] = []
  for (const options of list) {
    const peer = await startNodePeer(options)
    peers.push(peer)
    const deadline = Date.now() + 20_000
    while (!Object.values((await peer.status()).signaling).some(Boolean)) {
      if (Date.now() > deadline) throw new Error(`${peer.name}: no signaling socket open in 20 s`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  return peers as { -readonly [K in keyof T]: NodePeer }
}
