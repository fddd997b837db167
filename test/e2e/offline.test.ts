import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'
import { waitFor } from '../helpers/wait-for'
import { launchChromium } from './helpers/chromium'
import { useE2E } from './helpers/harness'
import { Peer } from './helpers/peer'

// Issue 3 in real Chromium: offline work, rejoining, durability and tabs. Each peer is its own
// browser profile unless a test opens a second tab of one profile on purpose.

const e2e = useE2E()

async function identical(
  peers: Peer[],
  mustContain: string[],
  timeoutMs = 30_000,
): Promise<string> {
  let texts: string[] = []
  try {
    return await waitFor(
      'every peer to hold the same text',
      async () => {
        texts = await Promise.all(peers.map((peer) => peer.editorText()))
        const [first] = texts
        return first !== undefined &&
          texts.every((text) => text === first) &&
          mustContain.every((part) => first.includes(part))
          ? first
          : false
      },
      { timeoutMs, intervalMs: 100 },
    )
  } catch (error) {
    throw new Error(`${(error as Error).message}; texts were ${JSON.stringify(texts)}`)
  }
}

describe('offline work and rejoining', () => {
  it('[RECON-1] [CONV-4] A goes offline, both edit one paragraph, A returns: both texts, identical', async () => {
    const a = await e2e.newPeer('A')
    const b = await e2e.newPeer('B')
    const link = await a.createDocument()
    await b.openDoc(link)
    await a.typeInEditor('The shared paragraph.')
    await b.waitForText('B sees A', (text) => text.includes('The shared paragraph.'))

    await a.byTestId('network-toggle').click()
    await a.waitForDataState('sync-status', 'offline')
    await a.typeInEditor(' Written by A offline.')
    await b.typeInEditor('B online wrote this. ', 'start')
    await b.waitForText('B has its own edit', (text) => text.startsWith('B online wrote this.'))
    // A is really cut off: B's edit does not reach it while it is paused.
    expect(await a.editorText()).not.toContain('B online wrote this.')

    const back = Date.now()
    await a.byTestId('network-toggle').click()
    const text = await identical([a, b], ['Written by A offline.', 'B online wrote this.'])
    console.log(`[e2e] RECON-1: converged ${Date.now() - back} ms after A went back online`)
    expect(text.split('\n')).toHaveLength(1) // one paragraph, both edits inside it
    await a.waitForDataState('sync-status', 'connected')
  })

  it('[RECON-1] three peers converge while one of them keeps dropping and rejoining', async () => {
    const a = await e2e.newPeer('A')
    const b = await e2e.newPeer('B')
    const c = await e2e.newPeer('C')
    const link = await a.createDocument()
    await b.openDoc(link)
    await c.openDoc(link)
    await a.typeInEditor('start.')
    await identical([a, b, c], ['start.'])
    for (let round = 0; round < 3; round++) {
      await c.byTestId('network-toggle').click()
      await c.waitForDataState('sync-status', 'offline')
      await c.typeInEditor(` c${round}`)
      await a.typeInEditor(` a${round}`)
      await b.typeInEditor(` b${round}`, 'start')
      await c.byTestId('network-toggle').click()
    }
    const started = Date.now()
    const parts = [0, 1, 2].flatMap((round) => [`a${round}`, `b${round}`, `c${round}`])
    await identical([a, b, c], parts, 45_000)
    console.log(
      `[e2e] RECON-1: three peers converged ${Date.now() - started} ms after the last rejoin`,
    )
  })

  it('[SAVE-1] text typed right before the tab closes is there when the document is reopened', async () => {
    const a = await e2e.newPeer('A')
    const link = await a.createDocument()
    // Nothing else may hold the document in memory: the reopened tab must read it from storage,
    // not receive it from a live tab over BroadcastChannel.
    const keeper = await a.openTab('A, blank tab')
    await a.closeTab()
    for (let attempt = 0; attempt < 5; attempt++) {
      const page = await keeper.context.newPage()
      await page.goto(link)
      await page.getByTestId('editor').focus()
      await page.keyboard.press('Control+End')
      const marker = `closed-${attempt}`
      await page.keyboard.type(` ${marker}`)
      const started = Date.now()
      await page.close({ runBeforeUnload: true })
      // "Closed within 100 ms" of the last keystroke: playwright's close itself is the only delay.
      console.log(`[e2e] SAVE-1: tab closed ${Date.now() - started} ms after the last keystroke`)
      const check = await keeper.openTab(`A, reopened ${attempt}`)
      await check.openDoc(link)
      await check.waitForText(`the text of attempt ${attempt} survived the close`, (text) =>
        text.includes(marker),
      )
      await check.closeTab()
    }
  })

  it('[SYNC-2] [SAVE-4] two tabs of one browser stay in sync, with and without the network', async () => {
    const a = await e2e.newPeer('A')
    const link = await a.createDocument()
    const second = await a.openTab('A, tab 2')
    await second.openDoc(link)
    await a.typeInEditor('from tab one.')
    await second.waitForText('tab 2 sees tab 1', (text) => text.includes('from tab one.'))
    await a.context.setOffline(true)
    await second.typeInEditor(' from tab two while offline.')
    await a.waitForText('tab 1 sees tab 2 offline', (text) =>
      text.includes('from tab two while offline.'),
    )
    await a.context.setOffline(false)
    // Both tabs wrote into the same store. With both closed and no other peer in the room, a
    // new tab can only get the text from that store: it must hold one consistent document.
    await a.waitForDataState('saved-status', 'saved')
    await second.waitForDataState('saved-status', 'saved')
    await second.closeTab()
    const third = await a.openTab('A, tab 3')
    await a.closeTab()
    await third.openDoc(link)
    await third.waitForText(
      'tab 3 loads both tabs’ text from storage',
      (text) => text.includes('from tab one.') && text.includes('from tab two while offline.'),
    )
    expect(await third.peerCount()).toBe(0)
  })
})

describe('signaling server down', () => {
  let server: ServerProcess
  let browser: Browser
  const peers: Peer[] = []

  beforeAll(async () => {
    server = await startServerProcess()
    browser = await launchChromium()
  })

  afterAll(async () => {
    await Promise.all(peers.map((peer) => peer.close()))
    await browser.close()
    await server.stop()
  })

  it('[OFFLINE-1] [RECON-1] with the server stopped the app reloads from cache, and edits reach B when it returns', async () => {
    const a = await Peer.open(browser, server.url.replace(/\/$/, ''), 'A')
    const b = await Peer.open(browser, server.url.replace(/\/$/, ''), 'B')
    peers.push(a, b)
    const link = await a.createDocument()
    await b.openDoc(link)
    await a.typeInEditor('Before the outage.')
    await b.waitForText('B sees A', (text) => text.includes('Before the outage.'))
    // The service worker must be installed and active (app shell cached) before the server
    // goes away; the reload below is then served by it.
    await a.page.evaluate(async () => {
      await navigator.serviceWorker.ready
    })

    const port = server.port
    await server.stop()
    await a.reload()
    await a.waitForText('A loads from IndexedDB with no server', (text) =>
      text.includes('Before the outage.'),
    )
    await a.typeInEditor(' Written during the outage.')
    await a.waitForDataState('saved-status', 'saved')

    server = await startServerProcess({ PORT: String(port) })
    const back = Date.now()
    await b.waitForText(
      'B receives the outage edit without reloading',
      (text) => text.includes('Written during the outage.'),
      45_000,
    )
    console.log(`[e2e] RECON-1: B had A's edit ${Date.now() - back} ms after the server returned`)
  })
})
