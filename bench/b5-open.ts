// B5: open the automerge-paper document from IndexedDB until it is editable, against raw
// Y.applyUpdate of its state in the same page.
//
//   npx tsx bench/b5-open.ts
//
// The document's state (the trace replayed as paragraphs in Node, every keystroke one Yjs
// transaction; V1, ~290 KB) is stored as the only row of its IndexedDB database in the app's
// storage layout, which is what the app's engine leaves after compacting. Then the page navigates
// to the document's link and reloads it REPS times; each open is timed in the page from
// navigation start (performance.timeOrigin) to the first moment the editor holds the whole
// document and is editable (checked on every DOM mutation and every animation frame). This
// includes loading and parsing the app's JS from the local server (cached after the first
// open), opening IndexedDB, applying the state, building the ProseMirror document and its DOM.
// Baseline: Y.applyUpdate of the same bytes into a fresh Y.Doc in that page (a separate copy of
// Yjs), median of REPS.
import type { Page } from 'playwright-core'
import type * as Yjs from 'yjs'
import { docIdOf, freshLink, startApp, storeState } from './lib/app'
import { isMain, median, ms, runAlone, type Figure } from './lib/report'
import { installYjs } from './lib/page-yjs'
import { loadTrace } from './lib/trace'
import { traceState } from './lib/ydoc'

const REPS = 5

interface OpenProbe {
  __mpOpenedAt?: number
  __mpFirstScreenAt?: number
}

/**
 * Installed before every navigation: records when the editor first holds `size` positions, and
 * when it is first editable showing anything of the document (issue 12 asks for the first screen
 * within a second; the editor takes in the whole body at once, so the two are the same moment).
 */
export function probeOpen(size: number): void {
  const started = performance.now()
  const check = (): boolean => {
    const probe = globalThis as unknown as OpenProbe
    if (probe.__mpOpenedAt !== undefined) return true
    const root = document.querySelector<
      Element & {
        editor?: {
          isEditable: boolean
          state: {
            doc: {
              content: { size: number }
              childCount: number
              firstChild: { type: { name: string } } | null
            }
          }
        }
      }
    >('[data-testid=editor]')
    const editor = root?.editor
    // The flat document's size: the editor's chunks add 2 tokens each.
    const doc = editor?.state.doc
    const flatSize =
      doc === undefined
        ? -1
        : doc.content.size - (doc.firstChild?.type.name === 'chunk' ? 2 * doc.childCount : 0)
    // More than one empty paragraph: something of the document is shown.
    if (editor?.isEditable && flatSize > 2) {
      probe.__mpFirstScreenAt ??= performance.now()
    }
    if (editor && editor.isEditable && flatSize === size) {
      probe.__mpOpenedAt = performance.now()
      return true
    }
    return performance.now() - started > 60_000
  }
  const frame = (): void => {
    if (!check()) requestAnimationFrame(frame)
  }
  requestAnimationFrame(frame)
  document.addEventListener('DOMContentLoaded', () => {
    const observer = new MutationObserver(() => {
      if (check()) observer.disconnect()
    })
    observer.observe(document.body, { childList: true, subtree: true, characterData: true })
  })
}

/** A moment the probe recorded in the page (ms from navigation start), once it is there. */
async function probed(page: Page, key: keyof OpenProbe): Promise<number> {
  const handle = await page.waitForFunction(
    (name) => (globalThis as unknown as OpenProbe)[name],
    key,
    { timeout: 60_000 },
  )
  return (await handle.jsonValue()) as number
}

/** When the page's editor was first editable with something of the document shown. */
export const firstScreenAt = (page: Page): Promise<number> => probed(page, '__mpFirstScreenAt')

/** When the page's editor first held the whole document, editable. */
export const openedAt = (page: Page): Promise<number> => probed(page, '__mpOpenedAt')

export async function b5(): Promise<Figure> {
  const trace = loadTrace('automerge-paper')
  const { state, text, paragraphs } = traceState(trace)
  const size = text.length + paragraphs + 1
  const rig = await startApp()
  const opens: number[] = []
  const applies: number[] = []
  try {
    const { page, context } = await rig.person()
    await page.goto(`${rig.appUrl}/`)
    await installYjs(page)
    const bytes = Buffer.from(state).toString('base64')
    for (let i = 0; i < REPS; i++) {
      applies.push(
        await page.evaluate((b64) => {
          const Y = (globalThis as unknown as { BenchY: typeof Yjs }).BenchY
          const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
          const doc = new Y.Doc()
          const started = performance.now()
          Y.applyUpdate(doc, data)
          const elapsed = performance.now() - started
          doc.destroy()
          return elapsed
        }, bytes),
      )
    }
    const link = freshLink(rig.appUrl)
    await storeState(page, docIdOf(link), state)
    await context.addInitScript(probeOpen, size)
    // From the home page this is a same-document (hash) navigation: the app opens the document
    // without a page load. Each timed open is a full reload of the document's URL.
    await page.goto(link)
    await page.getByTestId('editor').waitFor()
    for (let i = 0; i < REPS; i++) {
      await page.reload()
      opens.push(await openedAt(page))
    }
  } finally {
    await rig.close()
  }
  const open = median(opens)
  const apply = median(applies)
  return {
    rows: [
      {
        id: 'B5',
        what: `open automerge-paper (${(state.byteLength / 1000).toFixed(0)} KB state) from IndexedDB until editable`,
        value: `${ms(open, 0)} median`,
        baseline: `${ms(apply)} Y.applyUpdate`,
        ratio: open / apply,
        target: '≤ 300 ms',
        met: open <= 300,
      },
    ],
    details: [
      '',
      `B5 detail: opens (navigation start to editable, ms): ${opens.map((v) => v.toFixed(0)).join(', ')} ` +
        `(each a reload of the document's URL; the app's JS comes from the HTTP cache or service worker); Y.applyUpdate (ms): ${applies.map((v) => v.toFixed(1)).join(', ')}.`,
    ],
  }
}

if (isMain(import.meta.url)) runAlone('B5', b5)
