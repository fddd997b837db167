#!/usr/bin/env node
// Makes sure the system programs the test suite needs are present: Chromium (end-to-end tests),
// redis-server (scale-out tests) and the PostgreSQL server (the always-on peers' shared store).
// Runs as `pretest`, so it must be fast and silent-ish when everything is there (no subprocess,
// just file checks), and on a fresh Debian/Ubuntu machine as root it installs what is missing
// with apt-get. Anywhere else it stops with the exact command to run. Plain Node ESM, no
// dependencies: it runs before `npm ci` in .ci/run.
//
// Chromium lookup order (test/e2e/helpers/chromium.ts keeps the same order):
//   $CHROMIUM_PATH, /usr/bin/chromium, /usr/bin/chromium-browser, /usr/bin/google-chrome
// PostgreSQL lookup order (test/helpers/postgres.ts keeps the same order): the directory
//   $PG_BIN, else the newest /usr/lib/postgresql/*/bin (Debian's layout), holding postgres and
//   initdb (they are not on PATH on Debian)
import { spawnSync } from 'node:child_process'
import { accessSync, constants, readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'

const CHROMIUM_CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
]

/** @param {string} file */
function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** @returns {{ path: string | null, error: string | null }} */
function findChromium() {
  const fromEnv = process.env.CHROMIUM_PATH
  if (fromEnv !== undefined && fromEnv !== '') {
    // An explicit choice that is wrong is a configuration bug: say so instead of silently
    // testing with some other browser.
    if (isExecutable(fromEnv)) return { path: fromEnv, error: null }
    return { path: null, error: `CHROMIUM_PATH=${fromEnv} is not an executable file` }
  }
  const found = CHROMIUM_CANDIDATES.find(isExecutable)
  return { path: found ?? null, error: null }
}

const POSTGRES_ROOT = '/usr/lib/postgresql'

/** @param {string} dir */
function hasPostgresServer(dir) {
  return isExecutable(path.join(dir, 'postgres')) && isExecutable(path.join(dir, 'initdb'))
}

/** @returns {{ path: string | null, error: string | null }} */
function findPostgres() {
  const fromEnv = process.env.PG_BIN
  if (fromEnv !== undefined && fromEnv !== '') {
    if (hasPostgresServer(fromEnv)) return { path: fromEnv, error: null }
    return { path: null, error: `PG_BIN=${fromEnv} does not hold executable postgres and initdb` }
  }
  /** @type {string[]} */
  let versions = []
  try {
    versions = readdirSync(POSTGRES_ROOT)
  } catch {
    // no Debian PostgreSQL at all
  }
  const found = versions
    .sort((a, b) => Number(b) - Number(a))
    .map((version) => path.join(POSTGRES_ROOT, version, 'bin'))
    .find(hasPostgresServer)
  return { path: found ?? null, error: null }
}

/** @param {string} name */
function findOnPath(name) {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)
  for (const dir of [...dirs, '/usr/bin', '/usr/sbin', '/usr/local/bin']) {
    const file = path.join(dir, name)
    if (isExecutable(file)) return file
  }
  return null
}

/** @returns {{ id: string, like: string[] }} */
function osRelease() {
  try {
    const text = readFileSync('/etc/os-release', 'utf8')
    /** @param {string} key */
    const field = (key) => {
      const match = new RegExp(`^${key}=(.*)$`, 'm').exec(text)
      return (match?.[1] ?? '').replace(/^["']|["']$/g, '').trim()
    }
    return { id: field('ID'), like: field('ID_LIKE').split(/\s+/).filter(Boolean) }
  } catch {
    return { id: '', like: [] }
  }
}

/** @param {string[]} args */
function apt(args) {
  const started = Date.now()
  console.log(`[system-deps] $ apt-get ${args.join(' ')}`)
  const result = spawnSync('apt-get', args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  })
  if (result.error !== undefined) throw result.error
  if (result.status !== 0) {
    throw new Error(`apt-get ${args.join(' ')} failed with exit code ${String(result.status)}`)
  }
  console.log(
    `[system-deps] apt-get ${args[0]} done in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  )
}

/** Whether apt knows an installable version of a package (after `apt-get update`). */
/** @param {string} pkg */
function hasCandidate(pkg) {
  const result = spawnSync('apt-cache', ['policy', pkg], { encoding: 'utf8' })
  const match = /Candidate:\s*(\S+)/.exec(result.stdout ?? '')
  return match !== null && match[1] !== '(none)'
}

function main() {
  const chromium = findChromium()
  if (chromium.error !== null) {
    console.error(`[system-deps] ${chromium.error}. Unset it or point it at a Chromium binary.`)
    return 1
  }
  const postgres = findPostgres()
  if (postgres.error !== null) {
    console.error(`[system-deps] ${postgres.error}. Unset it or point it at PostgreSQL's bin/.`)
    return 1
  }
  const redis = findOnPath('redis-server')
  if (chromium.path !== null && redis !== null && postgres.path !== null) {
    console.log(
      `[system-deps] ok: chromium ${chromium.path}, redis-server ${redis}, postgres ${postgres.path}`,
    )
    return 0
  }

  /** @type {{ what: string, debian: string }[]} */
  const missing = []
  if (chromium.path === null) missing.push({ what: 'Chromium', debian: 'chromium' })
  if (redis === null) missing.push({ what: 'redis-server', debian: 'redis-server' })
  if (postgres.path === null) missing.push({ what: 'PostgreSQL', debian: 'postgresql' })
  const names = listed(missing.map((m) => m.what))

  const os = osRelease()
  const debianLike = os.id === 'debian' || os.id === 'ubuntu' || os.like.includes('debian')
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  const hasApt = findOnPath('apt-get') !== null

  if (!debianLike || !hasApt || !isRoot) {
    const why =
      !debianLike || !hasApt ? 'this is not a Debian/Ubuntu system' : 'not running as root'
    console.error(`[system-deps] missing: ${names}; cannot install automatically (${why}).`)
    console.error('[system-deps] install them, then re-run:')
    if (debianLike && hasApt) {
      console.error(
        `  sudo apt-get update && sudo apt-get install -y ${missing.map((m) => m.debian).join(' ')}`,
      )
    } else {
      if (chromium.path === null) {
        console.error(
          `  - Chromium or Google Chrome at one of ${CHROMIUM_CANDIDATES.join(', ')},` +
            ' or set CHROMIUM_PATH=/path/to/chromium',
        )
      }
      if (redis === null) console.error('  - redis-server (Redis 6 or newer) on PATH')
      if (postgres.path === null) {
        console.error(
          `  - PostgreSQL 15 or newer (server: postgres and initdb) under ${POSTGRES_ROOT}/*/bin,` +
            ' or set PG_BIN=/path/to/postgresql/bin',
        )
      }
    }
    return 1
  }

  console.log(`[system-deps] missing: ${names}; installing with apt-get (${os.id}, as root)`)
  try {
    apt(['update'])
    const packages = missing.map((m) => {
      // Ubuntu names its Chromium package chromium-browser (a snap shim); Debian names it chromium.
      if (
        m.debian === 'chromium' &&
        !hasCandidate('chromium') &&
        hasCandidate('chromium-browser')
      ) {
        return 'chromium-browser'
      }
      return m.debian
    })
    apt(['install', '-y', ...packages])
  } catch (error) {
    console.error(`[system-deps] ${error instanceof Error ? error.message : String(error)}`)
    return 1
  }

  const chromiumAfter = findChromium().path
  const redisAfter = findOnPath('redis-server')
  const postgresAfter = findPostgres().path
  if (chromiumAfter === null || redisAfter === null || postgresAfter === null) {
    const still = [
      chromiumAfter === null ? 'Chromium' : '',
      redisAfter === null ? 'redis-server' : '',
      postgresAfter === null ? `PostgreSQL (nothing under ${POSTGRES_ROOT}/*/bin)` : '',
    ]
    console.error(`[system-deps] apt-get finished but still missing: ${listed(still)}`)
    return 1
  }
  console.log(
    `[system-deps] ok: chromium ${chromiumAfter}, redis-server ${redisAfter}, postgres ${postgresAfter}`,
  )
  return 0
}

/** "a", "a and b", "a, b and c" (empty names skipped). @param {string[]} names */
function listed(names) {
  const present = names.filter(Boolean)
  if (present.length <= 1) return present.join('')
  return `${present.slice(0, -1).join(', ')} and ${present[present.length - 1]}`
}

process.exitCode = main()
