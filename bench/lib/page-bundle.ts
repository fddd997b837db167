import { build } from 'esbuild'
import type { Page } from 'playwright-core'
import { repoRoot } from './trace'

// Bench code that runs inside a page: bundled with esbuild (which tsx and vite already bring) into
// one script defining `globalName`, minified, kept per input for the rest of the process.
const bundles = new Map<string, Promise<string>>()

/** What to bundle: a repo-relative entry file, or source text resolved from the repo root. */
export type BundleInput = { readonly entry: string } | { readonly contents: string }

function pageBundle(input: BundleInput, globalName: string): Promise<string> {
  const key = `${globalName}\u0000${'entry' in input ? input.entry : input.contents}`
  let bundle = bundles.get(key)
  if (bundle === undefined) {
    bundle = build({
      ...('entry' in input
        ? { entryPoints: [`${repoRoot}/${input.entry}`] }
        : { stdin: { contents: input.contents, resolveDir: repoRoot, loader: 'ts' as const } }),
      bundle: true,
      format: 'iife',
      globalName,
      platform: 'browser',
      write: false,
      minify: true,
      logLevel: 'silent',
    }).then((result) => {
      const file = result.outputFiles[0]
      if (!file) throw new Error(`esbuild produced no bundle for ${globalName}`)
      return file.text
    })
    bundles.set(key, bundle)
  }
  return bundle
}

/** Bundles `input` and defines `globalThis[globalName]` in the page's current document. */
export async function installInPage(
  page: Page,
  input: BundleInput,
  globalName: string,
): Promise<void> {
  const code = await pageBundle(input, globalName)
  // Evaluated through the DevTools protocol, which the app's Content-Security-Policy allows.
  await page.evaluate(`${code};globalThis.${globalName} = ${globalName}; undefined`)
}
