import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, afterEach, beforeAll, inject } from 'vitest'
import { launchChromium } from './chromium'
import { resultsDir } from './paths'
import { Peer } from './peer'

// Per test file: one Chromium for the whole file, a fresh context per peer. After each test every
// peer it opened is closed; when the test failed (or any page threw an uncaught error, which
// fails the test) each peer's screenshot, console and page errors are saved under
// test-results/e2e/<file>/<test>--<peer>.{png,log}. The browser is closed after the file.

export interface E2E {
  readonly appUrl: string
  /** A new person: their own browser context (profile). Closed automatically after the test. */
  newPeer(label: string): Promise<Peer>
  /** A second tab in `peer`'s profile. Closed automatically after the test. */
  newTab(peer: Peer, label: string): Promise<Peer>
}

/** Lines of each page's console printed with a failure (the whole log is saved beside it). */
const CONSOLE_TAIL_LINES = 25

function slug(text: string): string {
  return text
    .replace(/[^a-zA-Z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
}

async function saveArtifacts(dir: string, test: string, peers: Peer[]): Promise<string[]> {
  mkdirSync(dir, { recursive: true })
  const written: string[] = []
  for (const peer of peers) {
    const base = path.join(dir, `${slug(test)}--${slug(peer.label)}`)
    if (!peer.isClosed) {
      try {
        await peer.page.screenshot({ path: `${base}.png`, fullPage: true, timeout: 5_000 })
        written.push(`${base}.png`)
      } catch (error) {
        peer.consoleLines.push(`[harness] screenshot failed: ${(error as Error).message}`)
      }
    }
    const url = peer.isClosed ? '(closed)' : peer.page.url()
    const log = [
      `peer ${peer.label} at ${url}`,
      '--- page errors',
      ...peer.pageErrors,
      '--- console',
      ...peer.consoleLines,
    ].join('\n')
    writeFileSync(`${base}.log`, `${log}\n`)
    written.push(`${base}.log`)
  }
  return written
}

export function useE2E(): E2E {
  const appUrl = inject('appUrl')
  let browser: Browser | undefined
  let peers: Peer[] = []

  beforeAll(async () => {
    browser = await launchChromium()
  })

  afterEach(async (context) => {
    const opened = peers
    peers = []
    const errors = opened.flatMap((peer) => peer.pageErrors.map((e) => `${peer.label}: ${e}`))
    const failed = context.task.result?.state === 'fail'
    try {
      if (failed || errors.length > 0) {
        const file = path.basename(context.task.file.name, '.test.ts')
        const written = await saveArtifacts(path.join(resultsDir, file), context.task.name, opened)
        console.log(`[e2e] artifacts for "${context.task.name}":\n  ${written.join('\n  ')}`)
        // CI keeps only what is printed: each page's last words go to the output too.
        for (const peer of opened) {
          const tail = [...peer.pageErrors, ...peer.consoleLines].slice(-CONSOLE_TAIL_LINES)
          console.log(`[e2e] ${peer.label}'s console, last lines:\n  ${tail.join('\n  ')}`)
        }
      }
    } finally {
      for (const peer of opened) await peer.close()
    }
    if (errors.length > 0) throw new Error(`uncaught error(s) in the page:\n${errors.join('\n')}`)
  })

  afterAll(async () => {
    await Promise.all(peers.map((peer) => peer.close()))
    await browser?.close()
  })

  return {
    appUrl,
    async newPeer(label) {
      if (browser === undefined) throw new Error('useE2E(): the browser is not launched yet')
      const peer = await Peer.open(browser, appUrl, label)
      peers.push(peer)
      return peer
    },
    async newTab(peer, label) {
      const tab = await peer.openTab(label)
      // Tabs first, so that closing them never races closing their profile.
      peers.unshift(tab)
      return tab
    },
  }
}
