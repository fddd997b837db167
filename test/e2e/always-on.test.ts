import type { Browser } from 'playwright-core'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'
import { launchChromium } from './helpers/chromium'
import { useE2E } from './helpers/harness'
import { Peer } from './helpers/peer'

// Always-on peers in real Chromium: people who are never online together, people whose browsers
// cannot open a WebRTC connection, and the pinned status a user reads.

const e2e = useE2E()

/**
 * Before the app loads: every RTCPeerConnection may use relay candidates only, and no relay
 * server exists, so it gathers no candidate and never connects, as behind a strict NAT or a
 * firewall that blocks UDP.
 */
const NO_WEBRTC = `(() => {
  const Native = window.RTCPeerConnection
  const Blocked = function (config, ...rest) {
    return new Native({ ...(config || {}), iceServers: [], iceTransportPolicy: 'relay' }, ...rest)
  }
  Blocked.prototype = Native.prototype
  Object.setPrototypeOf(Blocked, Native)
  window.RTCPeerConnection = Blocked
})()`

/** Records every data-state the pinned status takes, from the first render on. */
const RECORD_PINNED = `(() => {
  window.__pinnedStates = []
  const watch = () => {
    const el = document.querySelector('[data-testid="pinned-status"]')
    if (!el) return void requestAnimationFrame(watch)
    const note = () => {
      const state = el.getAttribute('data-state')
      if (window.__pinnedStates[window.__pinnedStates.length - 1] !== state) window.__pinnedStates.push(state)
    }
    note()
    new MutationObserver(note).observe(el, { attributes: true, attributeFilter: ['data-state'] })
  }
  watch()
})()`

describe('always-on peers in the browser', () => {
  let server: ServerProcess
  let browser: Browser
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'meshpad-e2e-store-'))

  beforeAll(async () => {
    server = await startServerProcess({ DATA_DIR: dataDir })
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser.close()
    await server.stop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('[STORE-1][PIN-1][PIN-2] two profiles never online together converge through the always-on peer, across a restart', async () => {
    const appUrl = server.url.replace(/\/$/, '')
    const a = await Peer.open(browser, appUrl, 'A')
    const b = await Peer.open(browser, appUrl, 'B')
    try {
      const link = await a.createDocument()
      await a.typeInEditor('Agenda written by A while B is away.')
      await a.waitForDataState('pinned-status', 'pinned')
      expect(await a.byTestId('pinned-status').textContent()).toBe('Stored on 1 server')
      await a.closeTab() // A leaves; the profile (its IndexedDB) stays

      const port = server.port
      await server.stop()
      server = await startServerProcess({ DATA_DIR: dataDir, PORT: String(port) })

      await b.openDoc(link)
      await b.waitForText('B gets what A wrote, with A gone', (text) =>
        text.includes('Agenda written by A while B is away.'),
      )
      expect(await b.peerCount()).toBe(0)
      await b.typeInEditor(' B answers.')
      await b.waitForDataState('pinned-status', 'pinned')
      await b.closeTab()

      const back = await a.openTab('A again')
      await back.openDoc(link)
      await back.waitForText('A comes back to B’s answer', (text) =>
        text.includes('Agenda written by A while B is away. B answers.'),
      )
      await back.close()
    } finally {
      await a.close()
      await b.close()
    }
  })
})

describe('relay when WebRTC fails', () => {
  it('[RELAY-1][RELAY-2] two profiles whose RTCPeerConnection gathers no candidate co-edit live', async () => {
    const a = await e2e.newPeer('A (no WebRTC)')
    const b = await e2e.newPeer('B (no WebRTC)')
    await a.context.addInitScript(NO_WEBRTC)
    await b.context.addInitScript(NO_WEBRTC)
    const link = await a.createDocument()
    await b.openDoc(link)
    await a.typeInEditor('Typed by A. ')
    await b.waitForText('B sees A live', (text) => text.includes('Typed by A.'))
    await b.typeInEditor('Typed by B.')
    await a.waitForText('A sees B live', (text) => text.includes('Typed by A. Typed by B.'))
    // No WebRTC connection ever opened; the status says the connection is relayed.
    expect(await a.peerCount()).toBe(0)
    await expectRelayed(a)
    await expectRelayed(b)
  })

  it('[PIN-1] pinned-status moves from pending to pinned after edits made while paused', async () => {
    const a = await e2e.newPeer('A')
    await a.context.addInitScript(RECORD_PINNED)
    await a.createDocument()
    await a.waitForDataState('pinned-status', 'pinned')
    await a.byTestId('network-toggle').click()
    await a.waitForDataState('pinned-status', 'off')
    await a.typeInEditor('Written while paused.')
    await a.byTestId('network-toggle').click()
    await a.waitForDataState('pinned-status', 'pinned')
    const states = await a.page.evaluate(
      () => (window as unknown as { __pinnedStates: string[] }).__pinnedStates,
    )
    // Typed while paused ("off"), then on resume: pending until the peer acknowledged, pinned.
    expect(states.slice(-3)).toEqual(['off', 'pending', 'pinned'])
  })
})

async function expectRelayed(peer: Peer): Promise<void> {
  await peer.waitForDataState('sync-status', 'connected')
  const relay = peer.byTestId('relay-status')
  await relay.waitFor({ state: 'visible' })
  expect(await relay.textContent()).toMatch(/^Relayed through the server to 1 person$/)
  expect(await peer.byTestId('sync-status').getAttribute('data-relay')).toBe('true')
}
