// SIG-9, SIG-15, SIG-16: operating the server: configuration errors and --help from the real
// command line, graceful shutdown on SIGTERM and SIGINT, the idle/unresponsive deadline.
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { CLOSE_CODES } from '../../src/protocol/close-codes'
import { startServer } from '../../server/server'
import { startServerProcess } from '../helpers/server-process'
import { assertRoomWorks, connect, subscribe } from './signaling-helpers'

/** How long a poll waits for what the test expects (the project's default is 1 s). */
const WAIT = { timeout: 15_000 }

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/** Runs server/main.ts to completion (for runs that must exit on their own). */
function runMain(
  env: Record<string, string>,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const cli = path.join(root, 'node_modules/tsx/dist/cli.mjs')
    const child = spawn(process.execPath, [cli, 'server/main.ts', ...args], {
      cwd: root,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`server/main.ts did not exit within 20 s; output:\n${stdout}${stderr}`))
    }, 20_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

describe('configuration from the command line', () => {
  it('[SIG-15] bad values exit non-zero with one clear message per value, before listening', async () => {
    const run = await runMain({ PORT: 'eighty', MAX_FRAME_BYTES: '12' }, ['--log-level', 'chatty'])
    expect(run.code).toBe(2)
    expect(run.stdout).not.toContain('Meshpad listening')
    expect(run.stderr).toContain('invalid configuration')
    expect(run.stderr).toContain('PORT="eighty": must be a whole number')
    expect(run.stderr).toContain('MAX_FRAME_BYTES="12": must be between 1024 and 16777216')
    expect(run.stderr).toMatch(/--log-level="chatty": must be one of fatal, error, warn/)
    expect(run.stderr).toContain('--help')
  })

  it('[SIG-15] --help lists every option and exits 0', async () => {
    const run = await runMain({}, ['--help'])
    expect(run.code).toBe(0)
    for (const text of [
      '--port',
      'PORT',
      '--host',
      'REDIS_URL',
      'MAX_FRAME_BYTES',
      'RATE_LIMIT_BURST',
      'MAX_CONNECTIONS_PER_IP',
      'IDLE_TIMEOUT_MS',
      'MAX_BUFFERED_BYTES',
      'TRUST_PROXY',
      'SHUTDOWN_TIMEOUT_MS',
    ]) {
      expect(run.stdout).toContain(text)
    }
    expect(run.stdout).not.toContain('Meshpad listening')
  })

  it('[SIG-15] flags override the environment', async () => {
    const server = await startServerProcess({ PORT: '1' }, [
      '--port',
      '0',
      '--max-topics-per-connection=1',
    ])
    try {
      const client = await connect(server.signalUrl)
      client.send({ type: 'subscribe', topics: ['one', 'two'] })
      expect((await client.waitClosed()).code).toBe(CLOSE_CODES['too-many-topics'])
    } finally {
      expect(await server.stop()).toBe(0)
    }
  })

  it('[SIG-15] a port already in use exits 1 saying so', async () => {
    const first = await startServerProcess()
    try {
      const run = await runMain({ PORT: String(first.port) }, [])
      expect(run.code).toBe(1)
      expect(run.stderr).toContain('EADDRINUSE')
    } finally {
      expect(await first.stop()).toBe(0)
    }
  })
})

describe('graceful shutdown', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    '[SIG-16] on %s clients are closed with 1001 going-away and the process exits 0',
    async (signal) => {
      const server = await startServerProcess()
      const clients = await Promise.all([1, 2, 3].map(() => connect(server.signalUrl)))
      for (const client of clients) await subscribe(client, ['room'])
      const exit = server.stop(signal)
      for (const client of clients) {
        expect(await client.waitClosed()).toEqual({ code: 1001, reason: 'going-away' })
      }
      expect(await exit).toBe(0)
    },
  )

  it('[SIG-16] a client that never completes the close handshake does not hold shutdown for ever', async () => {
    const server = await startServerProcess({ SHUTDOWN_TIMEOUT_MS: '300' })
    const stuck = await connect(server.signalUrl)
    stuck.pause()
    expect(await server.stop('SIGTERM')).toBe(0)
    stuck.resume()
    await stuck.waitClosed()
  })
})

describe('idle and unresponsive connections', () => {
  it('[SIG-9] a client that stops answering pings is closed 4408; a live one stays', async () => {
    const server = await startServer({ port: 0, idleTimeoutMs: 200, logLevel: 'silent' })
    try {
      const url = `ws://127.0.0.1:${server.port}/signal`
      const [a, b] = [await connect(url), await connect(url)]
      await subscribe(a, ['alive'])
      await subscribe(b, ['alive'])
      const deaf = await connect(url, { autoPong: false })
      expect(await deaf.waitClosed()).toEqual({ code: 4408, reason: 'idle-timeout' })
      // The deaf client needed two heartbeats to be found out; the live ones answered both.
      expect(a.closed()).toBeNull()
      expect(b.closed()).toBeNull()
      await assertRoomWorks(a, b, 'alive')
      await expect
        .poll(() => server.stats().connections, { message: 'deaf connection released', ...WAIT })
        .toBe(2)
      await Promise.all([a.close(), b.close()])
    } finally {
      await server.close()
    }
  })
})
