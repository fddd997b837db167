import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { once } from 'node:events'
import net from 'node:net'
import path from 'node:path'

// Starts a throwaway redis-server on a free loopback port (no persistence) and resolves once it
// accepts commands. The scale-out tests and the signaling benchmark join server instances
// through it. `scripts/ensure-system-deps.mjs` installs Debian's `redis-server` package; when the
// binary is missing anyway this fails with what to install instead of a timeout.
const CANDIDATES = [
  process.env['REDIS_SERVER'],
  ...(process.env['PATH'] ?? '').split(path.delimiter).map((dir) => path.join(dir, 'redis-server')),
  '/usr/bin/redis-server',
  '/usr/sbin/redis-server',
  '/usr/local/bin/redis-server',
]

export interface RedisProcess {
  readonly port: number
  readonly url: string // redis://127.0.0.1:PORT
  readonly child: ChildProcess
  output(): string
  stop(): Promise<void>
}

export function findRedisServer(): string {
  const found = CANDIDATES.find((candidate) => candidate !== undefined && existsSync(candidate))
  if (found === undefined) {
    throw new Error(
      'redis-server not found (looked at $REDIS_SERVER, $PATH, /usr/bin, /usr/sbin, ' +
        '/usr/local/bin). Install it: `apt-get install -y redis-server` on ' +
        'Debian/Ubuntu (npm test does this via scripts/ensure-system-deps.mjs), ' +
        '`brew install redis` on macOS, or set REDIS_SERVER to the binary.',
    )
  }
  return found
}

/** A port that was free a moment ago. Callers retry on EADDRINUSE: another process may take it. */
export async function freePort(): Promise<number> {
  const server = net.createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  await once(server, 'close')
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  return address.port
}

async function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    let reply = ''
    socket.setTimeout(1_000, () => socket.destroy())
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1')
      if (reply.includes('\r\n')) socket.end()
    })
    socket.on('close', () => resolve(reply.startsWith('+PONG')))
    socket.on('error', () => resolve(false))
  })
}

async function startOnce(binary: string, port: number): Promise<RedisProcess> {
  // prettier-ignore
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--protected-mode', 'yes', '--loglevel', 'warning']
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const killOnExit = (): void => void child.kill('SIGKILL')
  process.once('exit', killOnExit)
  child.once('exit', () => process.off('exit', killOnExit))
  let out = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  const exited = once(child, 'exit')
  const deadline = Date.now() + 10_000
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`redis-server exited early (code ${String(child.exitCode)}):\n${out}`)
    }
    if (await ping(port)) break
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`redis-server did not answer PING on port ${port} within 10 s:\n${out}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGKILL')
      await exited
    },
  }
}

/**
 * Starts redis-server on a free port, or on `port` (to bring back one that was stopped, at the
 * address its clients keep reconnecting to).
 */
export async function startRedis({ port }: { port?: number } = {}): Promise<RedisProcess> {
  const binary = findRedisServer()
  if (port !== undefined) return startOnce(binary, port)
  let lastError: unknown
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(binary, await freePort())
    } catch (error) {
      lastError = error // most likely the port was taken between freePort() and bind
    }
  }
  throw lastError
}
