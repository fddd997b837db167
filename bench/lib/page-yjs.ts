import type { Page } from 'playwright-core'
import { installInPage } from './page-bundle'

// A separate copy of Yjs for baselines measured inside a page (`globalThis.BenchY`), bundled
// from the project's own yjs with esbuild (which tsx and vite already bring). It never touches
// the app's document: the app has its own, bundled copy.

/** Installs `globalThis.BenchY` (Yjs) in the page's current document. */
export async function installYjs(page: Page): Promise<void> {
  await installInPage(page, { contents: "export * from 'yjs'" }, 'BenchY')
}
