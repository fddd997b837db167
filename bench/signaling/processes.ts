import { fork, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { LoadCommand, LoadReplies, LoadReply } from './protocol.js'

// The processes of one benchmark run: servers under test (ours, y-webrtc's stock server) and
// load generators. Everything binds to 127.0.0.1, and every child is SIGKILLed when the runner
// exits, however it exits.
const here = path.dirname(fileURLToPath(import.meta.url))
export const root = path.resolve(here, '../..')
const tsxLoader = pathToFileURL(path.join(root, 'node_modules/tsx/dist/loader.mjs')).href

const children = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => process.exit(130))
}

function track(child: ChildProcess): void {
  children.add(child)
  child.once('exit', () => children.delete(child))
}

export interface BenchServer {
  readonly name: string
  readonly pid: number
  /** WebSocket URL clients connect to. */
  readonly url: string
  /** Resident set size of the server process, in bytes (Linux /proc). */
  rss(): number
  stop(): Promise<void>
}

/** Our server's limits raised so that the load generators (all on 127.0.0.1) are not refused. */
export const OUR_BENCH_LIMITS: Readonly<Record<string, string>> = {
  MAX_CONNECTIONS_PER_IP: '1000000',
  MAX_CONNECTIONS: '1000000',
  RATE_LIMIT_PER_SECOND: '1000000',
  RATE_LIMIT_BURST: '1000000',
  MAX_BUFFERED_BYTES: String(64 * 1024 * 1024),
}

async function startServer(
  name: string,
  script: string,
  env: Record<string, string>,
  listening: RegExp,
  toUrl: (address: string) => string,
): Promise<BenchServer> {
  // Both servers run as `node --import tsx <script>`: one process each, so its pid is the
  // server's own (the tsx CLI would put a second process in between).
  const child = spawn(process.execPath, ['--import', tsxLoader, script], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  track(child)
  let out = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${out}`)), 20_000)
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
      const match = listening.exec(out)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${name} exited with ${String(code)}:\n${out}`))
    })
  })
  const pid = child.pid ?? -1
  return {
    name,
    pid,
    url: toUrl(address),
    rss: () => readRss(pid),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGKILL')
      await exited
    },
  }
}

export function startOurs(env: Record<string, string> = {}): Promise<BenchServer> {
  return startServer(
    'meshpad',
    'server/main.ts',
    { ...OUR_BENCH_LIMITS, ...env },
    /Meshpad listening on http:\/\/(\S+)/,
    (address) => `ws://${address}/signal`,
  )
}

export function startStock(): Promise<BenchServer> {
  return startServer(
    'y-webrtc stock',
    'bench/signaling/stock-server.ts',
    {},
    /stock listening on http:\/\/(\S+)/,
    (address) => `ws://${address}`,
  )
}

/** A reference server holding WebSockets with no signaling logic (see floor-server.ts). */
export function startFloor(kind: 'ws' | 'tcp'): Promise<BenchServer> {
  return startServer(
    kind === 'ws' ? 'floor: bare ws' : 'floor: bare TCP',
    'bench/signaling/floor-server.ts',
    { FLOOR: kind },
    /floor listening on http:\/\/(\S+)/,
    (address) => `ws://${address}`,
  )
}

export function readRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = /VmRSS:\s+(\d+) kB/.exec(status)
  if (match?.[1] === undefined) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(match[1]) * 1024
}

export interface LoadGenerator {
  readonly pid: number
  request<K extends LoadCommand['op']>(
    command: Extract<LoadCommand, { op: K }>,
    timeoutMs?: number,
  ): Promise<LoadReplies[K]>
  stop(): Promise<void>
}

export async function startLoadGenerator(): Promise<LoadGenerator> {
  const child = fork(path.join(here, 'load.ts'), [], {
    cwd: root,
    execArgv: ['--import', tsxLoader, '--max-old-space-size=2048'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  track(child)
  const pending = new Map<number, (reply: LoadReply) => void>()
  let nextId = 1
  child.on('message', (raw: unknown) => {
    const reply = raw as LoadReply
    pending.get(reply.id)?.(reply)
    pending.delete(reply.id)
  })
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve())
    child.once('exit', (code) => reject(new Error(`load generator exited with ${String(code)}`)))
  })
  return {
    pid: child.pid ?? -1,
    request(command, timeoutMs = 120_000) {
      const id = nextId++
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id)
          reject(new Error(`load generator: ${command.op} got no answer in ${timeoutMs} ms`))
        }, timeoutMs)
        pending.set(id, (reply) => {
          clearTimeout(timer)
          if (reply.ok) resolve(reply.value as LoadReplies[typeof command.op])
          else reject(new Error(reply.error))
        })
        child.send({ ...command, id })
      })
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGKILL')
      await exited
    },
  }
}
