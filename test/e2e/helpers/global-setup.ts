import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import path from 'node:path'
import type { TestProject } from 'vitest/node'
import { startServerProcess } from '../../helpers/server-process'
import { repoRoot as root, resultsDir } from './paths'

// Starts the real app once per e2e run, as `npm start` does: the built `dist/` served by
// `server/main.ts` (its signaling WebSocket on the same origin), on a free loopback port.
// `npm test` builds right before the e2e project runs; when the e2e project is run on its own
// and the build is missing or older than the sources, this builds first so a test never
// exercises stale code.

declare module 'vitest' {
  export interface ProvidedContext {
    /** Origin of the running app, e.g. http://127.0.0.1:41234 (no trailing slash). */
    appUrl: string
  }
}

function newestMtime(entry: string): number {
  if (!existsSync(entry)) return 0
  const stat = statSync(entry)
  if (!stat.isDirectory()) return stat.mtimeMs
  let newest = stat.mtimeMs
  for (const name of readdirSync(entry))
    newest = Math.max(newest, newestMtime(path.join(entry, name)))
  return newest
}

function buildIfStale(): void {
  const built = path.join(root, 'dist', 'index.html')
  const sources = ['src', 'public', 'index.html', 'vite.config.ts', 'package-lock.json']
  const sourceTime = Math.max(...sources.map((s) => newestMtime(path.join(root, s))))
  if (existsSync(built) && statSync(built).mtimeMs >= sourceTime) return
  const started = Date.now()
  console.log(
    `[e2e] ${existsSync(built) ? 'dist/ is older than the sources' : 'no dist/'}: vite build`,
  )
  const result = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules/vite/bin/vite.js'), 'build'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  )
  if (result.status !== 0) {
    throw new Error(
      `vite build failed (exit ${String(result.status)}):\n${result.stdout}\n${result.stderr}`,
    )
  }
  console.log(`[e2e] built in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}

function warnIfLoopbackOnly(): void {
  const external = Object.values(networkInterfaces())
    .flat()
    .filter((address) => address !== undefined && !address.internal)
  if (external.length === 0) {
    console.warn(
      '[e2e] WARNING: this host has no network interface besides loopback. Chromium never offers ' +
        'loopback ICE candidates, so WebRTC between browser contexts cannot connect here and the ' +
        'co-editing tests will time out waiting for peers.',
    )
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  buildIfStale()
  warnIfLoopbackOnly()
  const server = await startServerProcess()
  console.log(`[e2e] app at ${server.url} (pid ${String(server.child.pid)})`)
  project.provide('appUrl', server.url.replace(/\/$/, ''))
  return async () => {
    const code = await server.stop()
    mkdirSync(resultsDir, { recursive: true })
    writeFileSync(path.join(resultsDir, 'server.log'), server.output())
    if (code !== 0 && code !== null)
      console.warn(`[e2e] server exited with ${code}; see ${resultsDir}/server.log`)
  }
}
