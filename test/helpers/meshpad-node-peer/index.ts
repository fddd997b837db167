import { fork, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type {
  MeshpadPeerCommand,
  MeshpadPeerInit,
  MeshpadPeerReady,
  MeshpadPeerReplies,
  MeshpadPeerReply,
  MeshpadPeerStatus,
} from './protocol.js'

export type { MeshpadPeerInit, MeshpadPeerStatus } from './protocol.js'

// A Meshpad peer (the app's WebrtcAdapter + StatusModel + Awareness + Y.Doc, chunked transport
// over @roamhq/wrtc) in its own Node process, driven over IPC; the same pattern as
// test/helpers/node-peer (which runs stock y-webrtc peers). Every method settles with the child's
// answer, or rejects if the child answers with an error, exits, or does not answer within
// `commandTimeoutMs`. Every child is registered; `killAllMeshpadNodePeers()` (afterEach) and the
// test process's exit SIGKILL whatever still runs, and a child exits when its IPC channel closes.
const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, '../../..')
const tsxLoader = pathToFileURL(path.join(root, 'node_modules/tsx/dist/loader.mjs')).href
const childPath = path.join(here, 'child.ts')

const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

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
  /** Destroys the peer and lets the child exit; then waits for it. */
  destroy(): Promise<void>
  /** SIGKILL. Safe to call twice. */
  kill(): Promise<void>
  /** stdout+stderr of the child so far, for failure messages. */
  output(): string
}

type Args<K extends MeshpadPeerCommand['op']> = Omit<Extract<MeshpadPeerCommand, { op: K }>, 'op'>

export async function startMeshpadNodePeer(
  options: MeshpadNodePeerOptions,
): Promise<MeshpadNodePeer> {
  const name = options.name ?? 'meshpad-node-peer'
  const commandTimeoutMs = options.commandTimeoutMs ?? 60_000
  const child = fork(childPath, [], {
    cwd: root,
    execArgv: ['--import', tsxLoader],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
  })
  live.add(child)
  let out = ''
  child.stdout?.setEncoding('utf8')
  child.stderr?.setEncoding('utf8')
  child.stdout?.on('data', (chunk: string) => (out += chunk))
  child.stderr?.on('data', (chunk: string) => (out += chunk))

  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>()
  let nextId = 1
  let exitReason: string | null = null
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child)
      exitReason = `${name} exited (code ${String(code)}, signal ${String(signal)})`
      for (const waiter of pending.values())
        waiter.reject(new Error(`${exitReason}; output:\n${out}`))
      pending.clear()
      resolve()
    })
  })
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start within the deadline; output:\n${out}`)),
      options.startTimeoutMs ?? 30_000,
    )
    child.on('message', (raw: unknown) => {
      if ((raw as Partial<MeshpadPeerReady>).ready === true) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', () => {
      clearTimeout(timer)
      reject(new Error(`${exitReason ?? name}; output:\n${out}`))
    })
  })
  child.on('message', (raw: unknown) => {
    const message = raw as MeshpadPeerReply | MeshpadPeerReady
    if ('ready' in message) return
    const waiter = pending.get(message.id)
    if (waiter === undefined) return
    pending.delete(message.id)
    if (message.ok) waiter.resolve(message.value)
    else waiter.reject(new Error(`${name}: ${message.error}`))
  })

  const request = <K extends MeshpadPeerCommand['op']>(
    op: K,
    args: Args<K>,
  ): Promise<MeshpadPeerReplies[K]> => {
    if (exitReason !== null) return Promise.reject(new Error(`${exitReason}; output:\n${out}`))
    const id = nextId++
    return new Promise<MeshpadPeerReplies[K]>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id)
        reject(new Error(`${name}: ${op} got no answer within ${commandTimeoutMs} ms`))
      }, commandTimeoutMs)
      pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer)
          resolve(value as MeshpadPeerReplies[K])
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
      init: { link: options.link, signalingUrls: options.signalingUrls },
    })
  } catch (error) {
    await kill()
    throw error
  }

  return {
    name,
    pid: child.pid ?? -1,
    replayTrace: (trace) => request('replayTrace', { trace }),
    getText: () => request('getText', {}),
    getStateVector: () => request('getStateVector', {}),
    stateBytes: () => request('stateBytes', {}),
    status: () => request('status', {}),
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

/** SIGKILLs every Meshpad Node peer child still running and waits for them to be gone. */
export async function killAllMeshpadNodePeers(): Promise<void> {
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
