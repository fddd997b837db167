import { build } from 'esbuild'
import type { Page } from 'playwright-core'
import { repoRoot } from './trace'

// Plain Tiptap without Yjs (bench/floor/floor-editor.ts) bundled with esbuild and installed in a
// page of the app as `globalThis.BenchFloor`: what an editor costs at a size with no binding.
let bundle: string | null = null

async function floorBundle(): Promise<string> {
  if (bundle !== null) return bundle
  const result = await build({
    entryPoints: [`${repoRoot}/bench/floor/floor-editor.ts`],
    bundle: true,
    format: 'iife',
    globalName: 'BenchFloor',
    write: false,
    minify: true,
    logLevel: 'silent',
  })
  const file = result.outputFiles[0]
  if (!file) throw new Error('esbuild produced no floor bundle')
  bundle = file.text
  return bundle
}

/** Installs `globalThis.BenchFloor` in the page's current document. */
export async function installFloor(page: Page): Promise<void> {
  const code = await floorBundle()
  // Evaluated through the DevTools protocol, which the app's Content-Security-Policy allows.
  await page.evaluate(`${code};globalThis.BenchFloor = BenchFloor; undefined`)
}
