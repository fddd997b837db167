import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'
import { launchChromium } from './helpers/chromium'
import { repoRoot } from './helpers/paths'
import { Peer } from './helpers/peer'

// A new deployment (rule OFFLINE-2). The app is served from a copy of dist/; "deploying" changes
// the service worker script's bytes, which is how a browser learns of a new version. The user is
// offered a reload, nothing is swapped in under them, and the document survives the update.

describe('app updates', () => {
  let dir: string
  let server: ServerProcess
  let browser: Browser
  let peer: Peer | undefined

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'meshpad-dist-'))
    cpSync(path.join(repoRoot, 'dist'), dir, { recursive: true })
    server = await startServerProcess({ STATIC_DIR: dir })
    browser = await launchChromium()
  })

  afterAll(async () => {
    await peer?.close()
    await browser.close()
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('[OFFLINE-2] a new version is offered with a reload, and the document is untouched', async () => {
    peer = await Peer.open(browser, server.url.replace(/\/$/, ''), 'A')
    const link = await peer.createDocument()
    await peer.typeInEditor('Written before the update.')
    await peer.waitForDataState('saved-status', 'saved')
    await peer.page.evaluate(async () => {
      await navigator.serviceWorker.ready
    })
    expect(await peer.byTestId('update-available').count()).toBe(0)

    appendFileSync(path.join(dir, 'sw.js'), '\n// deployed again\n')
    await peer.page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready
      await registration.update()
    })
    await peer.byTestId('update-available').waitFor({ timeout: 30_000 })
    // Until the user chooses, the open document keeps working.
    await peer.typeInEditor(' Still editing.')
    await peer.waitForDataState('saved-status', 'saved')

    await peer.byTestId('update-reload').click()
    await peer.page.waitForLoadState('load')
    await peer.openDoc(link)
    await peer.waitForText('the document survives the update', (text) =>
      text.includes('Written before the update. Still editing.'),
    )
  })
})
