import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { documentHash, newDocAddress } from '../../src/share/link'
import { launchChromium } from '../../test/e2e/helpers/chromium'
import { startServerProcess, type ServerProcess } from '../../test/helpers/server-process'
import { waitFor } from '../../test/helpers/wait-for'
import { repoRoot } from './trace'

// The real app for browser figures: `dist/` built by `vite build` (rebuilt when older than the
// sources, as the e2e setup does), served with the signaling server by `server/main.ts` on a free
// port of 127.0.0.1, and the system Chromium with the project's flags. Each person is a browser
// context of their own (own IndexedDB, no shared BroadcastChannel).

function newestMtime(entry: string): number {
  if (!existsSync(entry)) return 0
  const stat = statSync(entry)
  if (!stat.isDirectory()) return stat.mtimeMs
  let newest = stat.mtimeMs
  for (const name of readdirSync(entry)) {
    newest = Math.max(newest, newestMtime(path.join(entry, name)))
  }
  return newest
}

/** Runs `vite build` when dist/ is missing or older than the app's sources. */
export function buildIfStale(log: (line: string) => void = console.error): void {
  const built = path.join(repoRoot, 'dist', 'index.html')
  const sources = ['src', 'public', 'index.html', 'vite.config.ts', 'package-lock.json']
  const newest = Math.max(...sources.map((s) => newestMtime(path.join(repoRoot, s))))
  if (existsSync(built) && statSync(built).mtimeMs >= newest) return
  log('[bench] dist/ is missing or stale: vite build')
  const result = spawnSync(
    process.execPath,
    [path.join(repoRoot, 'node_modules/vite/bin/vite.js'), 'build'],
    { cwd: repoRoot, encoding: 'utf8' },
  )
  if (result.status !== 0) throw new Error(`vite build failed:\n${result.stdout}\n${result.stderr}`)
}

/**
 * tsx compiles with esbuild's keepNames, which wraps named functions in page.evaluate callbacks
 * in `__name(fn, 'name')`; the page has no such helper, so every page gets an identity one.
 */
export const KEEP_NAMES_SHIM = 'globalThis.__name = globalThis.__name || ((fn) => fn)'

export interface AppRig {
  readonly browser: Browser
  readonly server: ServerProcess
  readonly appUrl: string
  /** A new person: a fresh context with one page on the app's home. */
  person(): Promise<{ context: BrowserContext; page: Page }>
  close(): Promise<void>
}

/**
 * The built app served by the real server. B1..B7 measure the browser-to-browser path and run it
 * without the always-on peer (its `/store` is then refused and the app keeps to WebRTC, as before
 * it existed); B8 measures the always-on peer and asks for it.
 */
export async function startApp(options: { alwaysOn?: boolean } = {}): Promise<AppRig> {
  buildIfStale()
  const server = await startServerProcess({ ALWAYS_ON: String(options.alwaysOn ?? false) })
  let browser: Browser
  try {
    browser = await launchChromium()
  } catch (error) {
    await server.stop()
    throw error
  }
  const appUrl = server.url.replace(/\/$/, '')
  const contexts: BrowserContext[] = []
  return {
    browser,
    server,
    appUrl,
    async person() {
      const context = await browser.newContext({ viewport: { width: 1200, height: 850 } })
      contexts.push(context)
      await context.addInitScript({ content: KEEP_NAMES_SHIM })
      const page = await context.newPage()
      page.setDefaultTimeout(60_000)
      page.on('pageerror', (error) => console.error(`[bench] page error: ${error.message}`))
      return { context, page }
    },
    async close() {
      await Promise.all(contexts.map((context) => context.close().catch(() => undefined)))
      await browser.close().catch(() => undefined)
      await server.stop()
    },
  }
}

const DOC_HASH = /#\/d\/([^/]+)\/([^/]+)$/

/** Creates a document from the home page; resolves with its share link and id. */
export async function createDocument(
  page: Page,
  appUrl: string,
): Promise<{ link: string; docId: string }> {
  await page.goto(`${appUrl}/`)
  await page.getByTestId('new-document').click()
  await waitFor('a document link', () => DOC_HASH.test(page.url()), { timeoutMs: 30_000 })
  await page.getByTestId('editor').waitFor()
  const link = await page
    .getByTestId('share-link')
    .evaluate((el) => (el instanceof HTMLInputElement ? el.value : (el.textContent ?? '').trim()))
  return { link, docId: docIdOf(link) }
}

export function docIdOf(link: string): string {
  const match = DOC_HASH.exec(link)
  if (!match?.[1]) throw new Error(`not a document link: ${link}`)
  return match[1]
}

/** A fresh document link (id and secret as the app makes them) without the UI. */
export function freshLink(appUrl: string): string {
  return `${appUrl}/${documentHash(newDocAddress())}`
}

/**
 * Writes `state` (a Yjs update) as the only row of the document's IndexedDB database, in the
 * layout of src/sync/idb-store.ts (y-indexeddb's: `meshpad:doc:<docId>`, stores `updates`
 * (auto-increment) and `custom`), i.e. exactly what the storage engine leaves after compacting.
 * The page must be on the app's origin and must not have the document open.
 */
export async function storeState(page: Page, docId: string, state: Uint8Array): Promise<void> {
  await page.evaluate(
    async ({ name, bytes }) => {
      const data = Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0))
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(name)
        request.onupgradeneeded = () => {
          request.result.createObjectStore('updates', { autoIncrement: true })
          request.result.createObjectStore('custom')
        }
        request.onsuccess = () => resolve(request.result)
        request.onerror = () => reject(request.error ?? new Error('indexedDB.open failed'))
      })
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction(['updates'], 'readwrite')
        tx.objectStore('updates').clear()
        tx.objectStore('updates').add(data)
        tx.oncomplete = () => resolve()
        tx.onabort = () => reject(tx.error ?? new Error('write aborted'))
      })
      db.close()
    },
    { name: `meshpad:doc:${docId}`, bytes: Buffer.from(state).toString('base64') },
  )
}

/** Every row of the document's `updates` store, base64, in key order. */
export async function readRows(page: Page, docId: string): Promise<Uint8Array[]> {
  const rows = await page.evaluate(async (name) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(name)
      request.onsuccess = () => resolve(request.result)
      request.onerror = () => reject(request.error ?? new Error('indexedDB.open failed'))
    })
    const values = await new Promise<unknown[]>((resolve, reject) => {
      const request = db.transaction(['updates'], 'readonly').objectStore('updates').getAll()
      request.onsuccess = () => resolve(request.result)
      request.onerror = () => reject(request.error ?? new Error('getAll failed'))
    })
    db.close()
    return values.map((value) => {
      const bytes = value instanceof Uint8Array ? value : new Uint8Array(value as ArrayBuffer)
      let binary = ''
      for (let i = 0; i < bytes.length; i += 0x8000) {
        binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
      }
      return btoa(binary)
    })
  }, `meshpad:doc:${docId}`)
  return rows.map((row) => new Uint8Array(Buffer.from(row, 'base64')))
}

/** Waits until the status bar says every local change is in IndexedDB. */
export async function waitSaved(page: Page, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    'saved-status data-state=saved',
    async () => (await page.getByTestId('saved-status').getAttribute('data-state')) === 'saved',
    { timeoutMs, intervalMs: 50 },
  )
}

interface TextNode {
  readonly isBlock: boolean
  readonly isText: boolean
  readonly text?: string
  readonly type: { readonly name: string }
  descendants(fn: (node: TextNode) => boolean): void
}

/**
 * Runs in the page, on the editor's root element: the document's text as Tiptap's
 * `getText({ blockSeparator: '\n' })` gives it for the document Yjs holds. The editor groups its
 * blocks under chunks (src/editor/chunks.ts), which are not blocks of the text.
 */
export function readEditorText(el: Element): string {
  const editor = (el as unknown as { editor?: { state: { doc: TextNode } } }).editor
  if (!editor) throw new Error('editor root has no .editor')
  let text = ''
  let first = true
  editor.state.doc.descendants((node) => {
    if (node.type.name === 'chunk') return true
    if (node.isBlock && !first) text += '\n'
    first = false
    if (node.isText) text += node.text ?? ''
    if (node.type.name === 'hardBreak') text += '\n'
    return true
  })
  return text
}

/**
 * Runs in the page: whether the editor's document has `size` positions as Yjs holds it (the
 * flat document; the editor's chunks add two tokens each).
 */
export function editorHasSize(size: number): boolean {
  const doc = document.querySelector<
    Element & {
      editor?: {
        state: {
          doc: {
            content: { size: number }
            childCount: number
            firstChild: { type: { name: string } } | null
          }
        }
      }
    }
  >('[data-testid=editor]')?.editor?.state.doc
  if (doc === undefined) return false
  const chunks = doc.firstChild?.type.name === 'chunk' ? doc.childCount : 0
  return doc.content.size - 2 * chunks === size
}

/** The editor's text, paragraphs joined by '\n'. */
export async function editorText(page: Page): Promise<string> {
  return page.getByTestId('editor').evaluate(readEditorText)
}
