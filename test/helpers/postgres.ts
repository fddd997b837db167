import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import {
  accessSync,
  chownSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { freePort } from './redis'

// Starts a throwaway PostgreSQL server (initdb into a temporary directory, trust auth, listening
// on a free 127.0.0.1 port only, fsync on) and resolves once it accepts connections, with an empty
// database for the test. The PostgreSQL store's tests run against it. PostgreSQL refuses to run
// as root: as root, initdb and postgres run as the `postgres` OS user (Debian's package creates
// it; spawn's uid/gid, so that the PID we hold is the postmaster's own and not that of a runuser
// wrapper), and the directory is chowned to it. Binaries: $PG_BIN, else the newest
// /usr/lib/postgresql/*/bin (Debian's layout); `scripts/ensure-system-deps.mjs` installs
// Debian's `postgresql` package, and when the binaries are missing anyway this fails with what to
// install instead of a timeout.

const DEBIAN_ROOT = '/usr/lib/postgresql'
const DATABASE = 'meshpad_test'

export interface PostgresProcess {
  readonly port: number
  /** postgres://postgres@127.0.0.1:PORT/meshpad_test, an empty database. */
  readonly url: string
  /** The same server's `postgres` database, for administration. */
  readonly adminUrl: string
  output(): string
  /**
   * Immediate shutdown (SIGQUIT to the postmaster): every backend quits at once without writing
   * anything, as in a crash; the next start replays the WAL.
   */
  crash(): Promise<void>
  /** Starts the server again on the same data directory and port. */
  restart(): Promise<void>
  /** Stops the server by its PID and removes its directory. */
  stop(): Promise<void>
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

const hasServer = (dir: string): boolean =>
  isExecutable(path.join(dir, 'postgres')) && isExecutable(path.join(dir, 'initdb'))

/** The directory holding `postgres` and `initdb`. */
export function findPostgresBin(): string {
  const fromEnv = process.env['PG_BIN']
  if (fromEnv !== undefined && fromEnv !== '') {
    if (hasServer(fromEnv)) return fromEnv
    throw new Error(`PG_BIN=${fromEnv} does not hold executable postgres and initdb`)
  }
  let versions: string[] = []
  try {
    versions = readdirSync(DEBIAN_ROOT)
  } catch {
    // no Debian PostgreSQL at all
  }
  const found = versions
    .sort((a, b) => Number(b) - Number(a))
    .map((version) => path.join(DEBIAN_ROOT, version, 'bin'))
    .find(hasServer)
  if (found === undefined) {
    throw new Error(
      `PostgreSQL server binaries not found (looked at $PG_BIN and ${DEBIAN_ROOT}/*/bin). ` +
        'Install them: `apt-get install -y postgresql` on Debian/Ubuntu (npm test does this ' +
        'via scripts/ensure-system-deps.mjs), or set PG_BIN to the directory holding postgres ' +
        'and initdb (PostgreSQL 15 or newer).',
    )
  }
  return found
}

interface RunAs {
  readonly uid?: number
  readonly gid?: number
}

/** As root, the `postgres` OS user; otherwise the current user. */
function runAs(): RunAs {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return {}
  try {
    const id = (flag: string): number =>
      Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim())
    return { uid: id('-u'), gid: id('-g') }
  } catch {
    throw new Error(
      'running as root, PostgreSQL needs an unprivileged OS user `postgres` to run as ' +
        "(Debian's postgresql package creates it); create one or run the tests as another user",
    )
  }
}

async function run(binary: string, args: string[], as: RunAs, cwd: string): Promise<void> {
  const child = spawn(binary, args, { ...as, cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  const [code] = (await once(child, 'exit')) as [number | null]
  if (code !== 0) throw new Error(`${path.basename(binary)} failed (${String(code)}):\n${out}`)
}

async function accepts(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('SELECT 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

const exited = (child: ChildProcess): boolean =>
  child.exitCode !== null || child.signalCode !== null

export async function startPostgres(): Promise<PostgresProcess> {
  const bin = findPostgresBin()
  const as = runAs()
  const root = mkdtempSync(path.join(tmpdir(), 'meshpad-pg-'))
  const data = path.join(root, 'data')
  const sockets = path.join(root, 'sock')
  mkdirSync(sockets)
  if (as.uid !== undefined && as.gid !== undefined) {
    chownSync(root, as.uid, as.gid)
    chownSync(sockets, as.uid, as.gid)
  }
  const removeDir = (): void => rmSync(root, { recursive: true, force: true })

  let child: ChildProcess | null = null
  let out = ''
  const killOnExit = (): void => {
    if (child !== null && !exited(child)) child.kill('SIGKILL')
    removeDir()
  }
  process.once('exit', killOnExit)

  async function start(port: number): Promise<void> {
    // prettier-ignore
    const args = ['-D', data, '-p', String(port), '-k', sockets,
      '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=on', '-c', 'synchronous_commit=on']
    const server = spawn(path.join(bin, 'postgres'), args, {
      ...as,
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child = server
    out = ''
    server.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    server.stderr?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`
    const deadline = Date.now() + 20_000
    for (;;) {
      if (exited(server)) {
        throw new Error(`postgres exited early (code ${String(server.exitCode)}):\n${out}`)
      }
      if (await accepts(url)) return
      if (Date.now() > deadline) {
        server.kill('SIGKILL')
        throw new Error(`postgres did not accept connections on port ${port} within 20 s:\n${out}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  async function halt(signal: NodeJS.Signals): Promise<void> {
    const server = child
    if (server === null || exited(server)) return
    const gone = once(server, 'exit')
    server.kill(signal)
    const timer = setTimeout(() => server.kill('SIGKILL'), 10_000)
    await gone
    clearTimeout(timer)
  }

  let port = 0
  try {
    // prettier-ignore
    await run(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8',
      '--no-locale', '--no-sync', '--no-instructions'], as, root)
    let lastError: unknown
    for (let attempt = 0; attempt < 3 && port === 0; attempt += 1) {
      const candidate = await freePort()
      try {
        await start(candidate)
        port = candidate
      } catch (error) {
        lastError = error // most likely the port was taken between freePort() and bind
        await halt('SIGKILL')
      }
    }
    if (port === 0) throw lastError
    const admin = new pg.Client({
      connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
    })
    await admin.connect()
    try {
      await admin.query(`CREATE DATABASE ${DATABASE}`)
    } finally {
      await admin.end()
    }
  } catch (error) {
    await halt('SIGKILL')
    process.off('exit', killOnExit)
    removeDir()
    throw error
  }

  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/${DATABASE}`,
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    output: () => out,
    crash: () => halt('SIGQUIT'),
    async restart() {
      await halt('SIGQUIT')
      await start(port)
    },
    async stop() {
      await halt('SIGQUIT')
      process.off('exit', killOnExit)
      removeDir()
    },
  }
}
