import { fork, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

// A TypeScript module run in its own Node process and driven over IPC with typed requests: what
// the Node peer helpers (node-peer, meshpad-node-peer) share. Two y-webrtc providers for one room
// cannot live in one JS realm, so every peer of a test is such a child.
//
// Wire: the child sends `{ ready: true }` once it listens, then answers each `{ op, id, ...args }`
// with `{ id, ok: true, value }` or `{ id, ok: false, error }`. A request rejects if the child
// answers with an error, exits, or does not answer within `commandTimeoutMs`.
//
// Lifetime: every child is registered; `killAllRpcChildren()` (afterEach/afterAll) and the test
// process's own exit SIGKILL whatever still runs, so no child outlives a failed test.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const tsxLoader = pathToFileURL(path.join(root, 'node_modules/tsx/dist/loader.mjs')).href

export type RpcReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string }

export interface RpcReady {
  readonly ready: true
}

type Op<C extends { op: string }> = C['op']
export type RpcArgs<C extends { op: string }, K extends Op<C>> = Omit<Extract<C, { op: K }>, 'op'>

export interface RpcChild<C extends { op: string }, R extends Record<Op<C>, unknown>> {
  readonly name: string
  readonly pid: number
  // Properties, not methods: they are closures, safe to pass around unbound.
  readonly request: <K extends Op<C>>(op: K, args: RpcArgs<C, K>) => Promise<R[K]>
  /** Sends `op` (which must make the child exit), then waits; SIGKILL after 5 s or on error. */
  readonly shutdown: (op: Op<C>) => Promise<void>
  /** SIGKILL, no questions asked. Safe to call twice. */
  readonly kill: () => Promise<void>
  /** stdout+stderr of the child so far, for failure messages. */
  readonly output: () => string
}

export interface RpcChildOptions {
  readonly childPath: string
  readonly name: string
  readonly env?: Record<string, string>
  readonly commandTimeoutMs: number
  readonly startTimeoutMs?: number
}

const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

export async function startRpcChild<C extends { op: string }, R extends Record<Op<C>, unknown>>(
  options: RpcChildOptions,
): Promise<RpcChild<C, R>> {
  const { name, commandTimeoutMs } = options
  const child = fork(options.childPath, [], {
    cwd: root,
    execArgv: ['--import', tsxLoader],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
    env: { ...process.env, ...options.env },
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
      for (const waiter of pending.values()) {
        waiter.reject(new Error(`${exitReason}; output:\n${out}`))
      }
      pending.clear()
      resolve()
    })
  })
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start within the deadline; output:\n${out}`)),
      options.startTimeoutMs ?? 30_000,
    )
    child.once('exit', () => {
      clearTimeout(timer)
      reject(new Error(`${exitReason ?? name}; output:\n${out}`))
    })
    child.on('message', (raw: unknown) => {
      if ((raw as Partial<RpcReady>).ready === true) {
        clearTimeout(timer)
        resolve()
        return
      }
      const message = raw as RpcReply
      const waiter = pending.get(message.id)
      if (waiter === undefined) return
      pending.delete(message.id)
      if (message.ok) waiter.resolve(message.value)
      else waiter.reject(new Error(`${name}: ${message.error}`))
    })
  })

  const request = <K extends Op<C>>(op: K, args: RpcArgs<C, K>): Promise<R[K]> => {
    if (exitReason !== null) return Promise.reject(new Error(`${exitReason}; output:\n${out}`))
    const id = nextId++
    return new Promise<R[K]>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id)
        reject(new Error(`${name}: ${op} got no answer within ${commandTimeoutMs} ms`))
      }, commandTimeoutMs)
      pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer)
          resolve(value as R[K])
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
  } catch (error) {
    await kill()
    throw error
  }

  return {
    name,
    pid: child.pid ?? -1,
    request,
    shutdown: async (op) => {
      try {
        await request(op, {} as RpcArgs<C, typeof op>)
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

/** SIGKILLs every RPC child still running and waits for them to be gone. */
export async function killAllRpcChildren(): Promise<void> {
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
