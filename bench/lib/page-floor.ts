import { build } from 'esbuild'
import type { Page } from 'playwright-core'
import { repoRoot } from './trace'

// Plain Tiptap without Yjs (bench/floor/floor-editor.ts) bundled with esbuild and installed in a
// page of the app as `globalThis.BenchFloor`: what an editor costs at a size with no binding.
// `entry` picks another floor with the same `createFloorEditor` (bench/floor/chunked-floor-editor.ts).
const bundles = new Map<string, string>()

export const FLAT_FLOOR = 'bench/floor/floor-editor.ts'
export const CHUNKED_FLOOR = 'bench/floor/chunked-floor-editor.ts'

async function floorBundle(entry: string): Promise<string> {
  const cached = bundles.get(entry)
  if (cached !== undefined) return cached
  const result = await build({
    entryPoints: [`${repoRoot}/${entry}`],
    bundle: true,
    format: 'iife',
    globalName: 'BenchFloor',
    write: false,
    minify: true,
    logLevel: 'silent',
  })
  const file = result.outputFiles[0]
  if (!file) throw new Error(`esbuild produced no floor bundle for ${entry}`)
  bundles.set(entry, file.text)
  return file.text
}

/** Installs `globalThis.BenchFloor` (the floor at `entry`, repo-relative) in the page's current document. */
export async function installFloor(page: Page, entry: string = FLAT_FLOOR): Promise<void> {
  const code = await floorBundle(entry)
  // Evaluated through the DevTools protocol, which the app's Content-Security-Policy allows.
  await page.evaluate(`${code};globalThis.BenchFloor = BenchFloor; undefined`)
}
