import type { Page } from 'playwright-core'
import { installInPage } from './page-bundle'

// Plain Tiptap without Yjs (bench/floor/floor-editor.ts) bundled with esbuild and installed in a
// page of the app as `globalThis.BenchFloor`: what an editor costs at a size with no binding.
// `entry` picks another floor with the same `createFloorEditor` (bench/floor/chunked-floor-editor.ts).

export const FLAT_FLOOR = 'bench/floor/floor-editor.ts'
export const CHUNKED_FLOOR = 'bench/floor/chunked-floor-editor.ts'

/** Installs `globalThis.BenchFloor` (the floor at `entry`, repo-relative) in the page's current document. */
export async function installFloor(page: Page, entry: string = FLAT_FLOOR): Promise<void> {
  await installInPage(page, { entry }, 'BenchFloor')
}
