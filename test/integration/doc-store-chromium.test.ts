import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { build, type Rolldown } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { docStoreCases } from '../contracts/doc-store.cases'
import { launchChromium } from '../e2e/helpers/chromium'

// The local storage contract (test/contracts/doc-store.cases.ts) inside real Chromium, against
// its own IndexedDB: the engine as the app runs it, where fake-indexeddb may differ (commit,
// transaction lifetimes, what a closed connection does). The cases and the engine are bundled
// with Vite into one script and run in a page of a made-up http origin (IndexedDB needs a real
// origin; Playwright answers its one request, so no server is needed).

const here = path.dirname(fileURLToPath(import.meta.url))
const ORIGIN = 'http://doc-store.contract.test'

declare global {
  var docStoreContract: { run(title: string): Promise<string | null> }
}

async function bundle(): Promise<string> {
  const result = await build({
    configFile: false,
    logLevel: 'silent',
    publicDir: false,
    root: path.resolve(here, '../..'),
    build: {
      write: false,
      minify: false,
      lib: {
        entry: path.join(here, 'doc-store-chromium.page.ts'),
        formats: ['iife'],
        name: 'docStoreContract',
      },
    },
  })
  const outputs = (Array.isArray(result) ? result : [result]) as Rolldown.RolldownOutput[]
  const chunk = outputs[0]?.output[0]
  if (chunk?.type !== 'chunk') throw new Error('the contract bundle produced no script')
  return chunk.code
}

let browser: Browser
let page: Page

beforeAll(async () => {
  const [code, launched] = await Promise.all([bundle(), launchChromium()])
  browser = launched
  page = await browser.newPage()
  await page.route(`${ORIGIN}/**`, (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>contract</title>' }),
  )
  await page.goto(`${ORIGIN}/`)
  await page.addScriptTag({ content: code })
})

afterAll(async () => {
  await browser?.close()
})

describe('local storage contract (IndexedDB engine, Chromium)', () => {
  for (const contractCase of docStoreCases) {
    it(contractCase.title, async () => {
      const broken = await page.evaluate(
        (title) => globalThis.docStoreContract.run(title),
        contractCase.title,
      )
      expect(broken).toBeNull()
    })
  }
})
