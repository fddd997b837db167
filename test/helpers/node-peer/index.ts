import { fork, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type {
  PeerCommand,
  PeerInit,
  PeerReady,
  PeerReplies,
  PeerReply,
  PeerStatus,
} from './protocol.js'

export type { PeerInit, PeerStatus } from './protocol.js'

// A y-webrtc peer in its own Node process, driven from the test over IPC. Every method is a
// promise that settles with the child's answer, or rejects if the child answers with an error,
// exits, or does not answer within `commandTimeoutMs`.
//
// Lifetime: every child is registered here; `killAllNodePeers()` (call it in afterEach/afterAll)
// and the test process's own exit SIGKILL whatever is still running, and a child exits by itself
// when its IPC channel to the test process closes. So no child outlives a failed test.
const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, '../../..')
const tsxLoader = pathToFileURL(path.join(root, 'node_modules/tsx/dist/loader.mjs')).href
const childPath = path.join(here, 'child.ts')

const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

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

type CommandOf<K extends PeerCommand['op']> = Extract<PeerCommand, { op: K }>
type Args<K extends PeerCommand['op']> = Omit<CommandOf<K>, 'op'>

export async function startNodePeer(options: NodePeerOptions): Promise<NodePeer> {
  const name = options.name ?? `peer-${options.room}`
  const commandTimeoutMs = options.commandTimeoutMs ?? 20_000
  const child = fork(childPath, [], {
    cwd: root,
    execArgv: ['--import', tsxLoader],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
    // y-webrtc's own log (lib0/logging reads LOG): kept in `output()` for failure messages.
    env: { ...process.env, LOG: 'y-webrtc' },
  })
  live.add(child)
  let out = ''
  child.stdout?.setEncoding('utf8')
  child.stderr?.setEncoding('utf8')
  child.stdout?.on('data', (chunk: string) => (out += chunk))
  child.stderr?.on('data', (chunk: string) => (out += chunk))

  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      live.delete(child)
      resolve()
    })
  })
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>()
  let nextId = 1
  let exitReason: string | null = null
  child.once('exit', (code, signal) => {
    exitReason = `${name} exited (code ${String(code)}, signal ${String(signal)})`
    for (const waiter of pending.values()) {
      waiter.reject(new Error(`${exitReason}; output:\n${out}`))
    }
    pending.clear()
  })
  child.on('message', (raw: unknown) => {
    const message = raw as PeerReply | PeerReady
    if ('ready' in message) return
    const waiter = pending.get(message.id)
    if (waiter === undefined) return
    pending.delete(message.id)
    if (message.ok) waiter.resolve(message.value)
    else waiter.reject(new Error(`${name}: ${message.error}`))
  })

  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start within the deadline; output:\n${out}`)),
      options.startTimeoutMs ?? 30_000,
    )
    child.on('message', (raw: unknown) => {
      if ((raw as Partial<PeerReady>).ready === true) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', () => {
      clearTimeout(timer)
      reject(new Error(`${exitReason ?? name}; output:\n${out}`))
    })
  })

  const request = <K extends PeerCommand['op']>(op: K, args: Args<K>): Promise<PeerReplies[K]> => {
    if (exitReason !== null) return Promise.reject(new Error(`${exitReason}; output:\n${out}`))
    const id = nextId++
    return new Promise<PeerReplies[K]>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id)
        reject(new Error(`${name}: ${op} got no answer within ${commandTimeoutMs} ms`))
      }, commandTimeoutMs)
      pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer)
          resolve(value as PeerReplies[K])
        },
        reject: (error) => {
          clearTimeout(timer)
          reject(error)
        },
      })
      child.send({ ...args, op, id }, (error) => {
        if (error !== null) pending.get(id)?.reject(error)
      })
    })
  }

  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  }

  try {
    await ready
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
    pid: child.pid ?? -1,
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
    destroy: async () => {
      try {
        await request('destroy', {})
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
        await exited
        clearTimeout(timer)
      } finally {
        await kill()
      }
    },
    kill,
    output: () => out,
  }
}

/** SIGKILLs every NodePeer child still running and waits for them to be gone. */
export async function killAllNodePeers(): Promise<void> {
  await Promise.all(
    [...live].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve()
          child.once('exit', () => resolve())
          child.kill('SIGKILL')
        }),
    ),
  )
}

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
