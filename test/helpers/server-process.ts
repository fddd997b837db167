import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

// Starts the real signaling server (`server/main.ts`, what `npm start` runs after building) as a
// child process on a free loopback port, and resolves once it prints its listening line.
// Contract with server/main.ts: it prints `Meshpad listening on http://HOST:PORT` to stdout.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const LISTENING = /Meshpad listening on (http:\/\/[^\s]+)/

export interface ServerProcess {
  readonly url: string // http://127.0.0.1:PORT
  readonly signalUrl: string // ws://127.0.0.1:PORT/signal
  readonly port: number
  readonly child: ChildProcess
  output(): string
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

export async function startServerProcess(
  env: Record<string, string> = {},
  args: string[] = [],
): Promise<ServerProcess> {
  // `node --import tsx` rather than tsx's CLI: the CLI is a wrapper process, and a SIGKILL sent to
  // it would leave the real server running as an orphan.
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', ...args], {
    cwd: root,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      // Each server process its own store unless the test shares one on purpose.
      DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'meshpad-server-')),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout?.setEncoding('utf8')
  child.stderr?.setEncoding('utf8')
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start within 20 s; output:\n${out}`)),
      20_000,
    )
    const onData = (chunk: string): void => {
      out += chunk
      const match = LISTENING.exec(out)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        resolve(match[1])
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (chunk: string) => (out += chunk))
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${String(code)} before listening; output:\n${out}`))
    })
  })
  const port = Number(new URL(url).port)
  return {
    url,
    port,
    signalUrl: `ws://127.0.0.1:${port}/signal`,
    child,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      // A child that died from a signal has signalCode set and exitCode null.
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
      const exited = once(child, 'exit') as Promise<[number | null]>
      child.kill(signal)
      const [code] = await exited
      return code
    },
  }
}
