import { build } from 'esbuild'
import type { Page } from 'playwright-core'
import { repoRoot } from './trace'

// A separate copy of Yjs for baselines measured inside a page (`globalThis.BenchY`), bundled
// from the project's own yjs with esbuild (which tsx and vite already bring). It never touches
// the app's document: the app has its own, bundled copy.
let bundle: string | null = null

async function yjsBundle(): Promise<string> {
  if (bundle !== null) return bundle
  const result = await build({
    stdin: { contents: "export * from 'yjs'", resolveDir: repoRoot, loader: 'js' },
    bundle: true,
    format: 'iife',
    globalName: 'BenchY',
    write: false,
    minify: true,
    logLevel: 'silent',
  })
  const file = result.outputFiles[0]
  if (!file) throw new Error('esbuild produced no Yjs bundle')
  bundle = file.text
  return bundle
}

/** Installs `globalThis.BenchY` (Yjs) in the page's current document. */
export async function installYjs(page: Page): Promise<void> {
  const code = await yjsBundle()
  // Evaluated through the DevTools protocol, which the app's Content-Security-Policy allows.
  await page.evaluate(`${code};globalThis.BenchY = BenchY; undefined`)
}
