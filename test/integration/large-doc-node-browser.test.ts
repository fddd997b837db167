// A Meshpad peer in Node (the app's WebrtcAdapter with the chunked transport over @roamhq/wrtc,
// in a child process) and a Meshpad peer in Chromium (the built app, served with the signaling
// server by server/main.ts) exchange the automerge-paper document with a paragraph of random
// letters: its sync message stays larger than the 256 KiB Chromium accepts in one data-channel
// message once compressed (GATE-7; the trace alone deflates to ~110 KB). Rules: docs/SPEC.md.
import type { Browser } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { buildIfStale, editorText, freshLink, KEEP_NAMES_SHIM } from '../../bench/lib/app'
import { loadTrace } from '../../bench/lib/trace'
import { launchChromium } from '../e2e/helpers/chromium'
import {
  killAllMeshpadNodePeers,
  startMeshpadNodePeer,
  type MeshpadNodePeer,
} from '../helpers/meshpad-node-peer'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'
import { deflate } from '../../src/sync/gate/deflate'
import { randomParagraphs } from '../helpers/random'
import { waitFor } from '../helpers/wait-for'

/** Chromium's `a=max-message-size`: a sync message over this never crossed a raw channel. */
const CHROMIUM_MAX_MESSAGE = 262_144

let server: ServerProcess | undefined
let browser: Browser | undefined

beforeAll(async () => {
  buildIfStale((line) => console.log(line))
  server = await startServerProcess()
  browser = await launchChromium()
}, 180_000)

afterEach(async () => {
  await killAllMeshpadNodePeers()
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

async function nodeText(peer: MeshpadNodePeer, expected: string): Promise<void> {
  let last = ''
  try {
    await waitFor(
      `${peer.name} holds the whole document`,
      async () => (last = await peer.getText()) === expected,
      { timeoutMs: 45_000, intervalMs: 200 },
    )
  } catch (error) {
    throw new Error(
      `${(error as Error).message}; it had ${last.length} of ${expected.length} characters\n` +
        peer.output(),
    )
  }
}

describe('large documents between a Node peer and a browser peer', () => {
  test('[LARGE-2] [CHUNK-1] a Node peer and a browser peer exchange the automerge-paper document', async () => {
    if (!server || !browser) throw new Error('setup failed')
    const noise = randomParagraphs(60, 10_000)
    // Even compressed, these paragraphs alone are over the limit (the document only larger).
    expect((await deflate(new TextEncoder().encode(noise.join('')))).byteLength).toBeGreaterThan(
      CHROMIUM_MAX_MESSAGE,
    )
    const expected = [loadTrace('automerge-paper').endContent, ...noise].join('\n')
    const link = freshLink(server.url.replace(/\/$/, ''))
    const signalingUrls = [server.signalUrl]

    // Node -> browser: the Node peer replays the whole trace, keystroke by keystroke.
    const holder = await startMeshpadNodePeer({ name: 'node holder', link, signalingUrls })
    await holder.replayTrace('automerge-paper')
    for (const paragraph of noise) await holder.appendParagraph(paragraph)
    expect(await holder.getText()).toBe(expected)
    expect(await holder.stateBytes()).toBeGreaterThan(CHROMIUM_MAX_MESSAGE)

    const context = await browser.newContext()
    try {
      await context.addInitScript({ content: KEEP_NAMES_SHIM })
      const page = await context.newPage()
      const errors: string[] = []
      page.on('pageerror', (error) => errors.push(error.message))
      await page.goto(link)
      await page.getByTestId('editor').waitFor({ timeout: 30_000 })
      let shown = 0
      await waitFor(
        'the browser peer shows the whole automerge-paper document',
        async () => {
          const text = await editorText(page)
          shown = text.length
          return text === expected
        },
        { timeoutMs: 45_000, intervalMs: 200 },
      ).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}; it showed ${shown} characters`)
      })

      // Browser -> Node: the first Node peer leaves; a new, empty one can only get the document
      // from the browser peer.
      await holder.destroy()
      const joiner = await startMeshpadNodePeer({ name: 'node joiner', link, signalingUrls })
      await nodeText(joiner, expected)
      expect(await joiner.stateBytes()).toBeGreaterThan(CHROMIUM_MAX_MESSAGE)
      expect((await joiner.status()).problem).toBeNull()
      expect(errors).toEqual([])
      await joiner.destroy()
    } finally {
      await context.close()
    }
  }, 120_000)
})
