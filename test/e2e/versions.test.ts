import { describe, expect, it } from 'vitest'
import { useE2E } from './helpers/harness'
import type { Peer } from './helpers/peer'

// Versions in real Chromium, two profiles over WebRTC: save, look back, restore as a change
// everyone receives, undo the restore, and two restores at once.

const e2e = useE2E()

async function openHistory(peer: Peer): Promise<void> {
  if ((await peer.byTestId('history').getAttribute('aria-expanded')) !== 'true') {
    await peer.byTestId('history').click()
  }
  await peer.byTestId('history-panel').waitFor()
}

/** A and B on a new document, in which A typed `typed` and B sees it. */
async function sharedDocument(typed: string): Promise<[Peer, Peer]> {
  const a = await e2e.newPeer('A')
  const b = await e2e.newPeer('B')
  const link = await a.createDocument()
  await b.openDoc(link)
  await a.typeInEditor(typed)
  await b.waitForText('B has A’s text', (text) => text === typed)
  return [a, b]
}

async function twoPeers(): Promise<[Peer, Peer]> {
  const [a, b] = await sharedDocument('Original text.')
  await a.byTestId('save-version').click()
  await a.typeInEditor(' Later edit.')
  await b.waitForText('B has the later edit', (text) => text === 'Original text. Later edit.')
  return [a, b]
}

describe('versions', () => {
  it('[VERSION-1][VERSION-2][VERSION-4] save, view, restore for everyone, and undo the restore', async () => {
    const [a, b] = await twoPeers()
    await openHistory(a)
    const version = a.byTestId('version')
    await expect.poll(() => version.count()).toBe(1)
    expect(await version.getAttribute('data-kind')).toBe('manual')
    // B sees the same history: versions travel with the document.
    await openHistory(b)
    await expect.poll(() => b.byTestId('version').count()).toBe(1)

    await version.getByTestId('version-open').click()
    const preview = a.byTestId('version-content')
    await preview.waitFor()
    expect((await preview.textContent())?.trim()).toBe('Original text.')
    // The version's paragraph differs from today's, so it is highlighted.
    expect(await preview.locator('.version-changed').count()).toBe(1)
    expect(await preview.getAttribute('contenteditable')).toBeNull()

    await version.getByTestId('restore-version').click()
    await a.waitForText('A restored', (text) => text === 'Original text.')
    await b.waitForText('B receives the restore', (text) => text === 'Original text.')

    await a.focusEditor()
    await a.press('Control+z')
    await a.waitForText('A undid the restore', (text) => text === 'Original text. Later edit.')
    await b.waitForText('B sees the undo', (text) => text === 'Original text. Later edit.')
  })

  it('[VERSION-5] two peers restoring the same version at once duplicate nothing', async () => {
    const [a, b] = await twoPeers()
    await openHistory(a)
    await openHistory(b)
    await expect.poll(() => b.byTestId('version').count()).toBe(1)
    await Promise.all([
      a.byTestId('restore-version').click(),
      b.byTestId('restore-version').click(),
    ])
    await a.waitForText('A restored', (text) => text === 'Original text.')
    await b.waitForText('B restored', (text) => text === 'Original text.')
    // And it stays that way once both restores have crossed.
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    expect(await a.editorText()).toBe('Original text.')
    expect(await b.editorText()).toBe('Original text.')
  })

  it('[VERSION-1] a version can be named after it was saved, and the name reaches the others', async () => {
    const [a, b] = await twoPeers()
    await openHistory(a)
    const name = a.byTestId('version-name')
    await name.fill('Before review')
    await name.press('Enter')
    await openHistory(b)
    await expect
      .poll(() => b.byTestId('version').locator('.version-label').textContent())
      .toBe('Before review')
  })

  it('[VERSION-1] an editor leaving while another is here saves no version; the last one leaving does', async () => {
    const [a, b] = await sharedDocument('Typed by A.')
    // A leaves (a reload runs beforeunload, where y-webrtc leaves its rooms, then pagehide)
    // while B is here: B will save one when it leaves, so A saves none.
    await a.reload()
    await a.waitForText('A reopened', (text) => text === 'Typed by A.')
    await openHistory(a)
    expect(await a.byTestId('version').count()).toBe(0)
    // B goes; A, now the last editor here, edits and leaves: that saves the version.
    await b.leave()
    await a.waitForPeerCount(0)
    await a.typeInEditor(' And more.')
    await a.reload()
    await a.waitForText('A reopened again', (text) => text === 'Typed by A. And more.')
    await openHistory(a)
    await expect.poll(() => a.byTestId('version').count()).toBe(1)
    expect(await a.byTestId('version').getAttribute('data-kind')).toBe('auto')
  })
})
