import { describe, expect, test } from 'vitest'
import { useE2E } from './helpers/harness'
import type { Peer } from './helpers/peer'

// Two people, each in their own browser profile (context), co-edit one document through the
// real app served by the real server: WebRTC between the contexts, signaling through /signal.
// Separate profiles share no BroadcastChannel and no IndexedDB, so every byte that reaches the
// other peer went over the network.

const e2e = useE2E()

/** Ada creates a document; Grace opens its share link; both see one connected peer. */
async function twoPeersOnOneDocument(): Promise<{ ada: Peer; grace: Peer; link: string }> {
  const ada = await e2e.newPeer('ada')
  const link = await ada.createDocument()
  const grace = await e2e.newPeer('grace')
  await grace.openDoc(link)
  await Promise.all([ada.waitForPeerCount(1), grace.waitForPeerCount(1)])
  return { ada, grace, link }
}

describe('co-editing between two browser profiles', () => {
  test('[SYNC-1] two browser profiles co-edit live', async () => {
    const ada = await e2e.newPeer('ada')
    const link = await ada.createDocument()
    await ada.typeInEditor('Agenda for Monday')

    // Grace joins after Ada typed: she receives what is already there...
    const grace = await e2e.newPeer('grace')
    await grace.openDoc(link)
    await grace.waitForText('Ada’s existing text', (t) => t === 'Agenda for Monday')
    await Promise.all([ada.waitForPeerCount(1), grace.waitForPeerCount(1)])
    await Promise.all([
      ada.waitForDataState('sync-status', 'connected'),
      grace.waitForDataState('sync-status', 'connected'),
    ])

    // ...and from then on edits flow live, both ways.
    await grace.typeInEditor('\nbudget review')
    await ada.waitForText('Grace’s line', (t) => t === 'Agenda for Monday\nbudget review')
    await ada.typeInEditor('\nhiring plan')
    const expected = 'Agenda for Monday\nbudget review\nhiring plan'
    await grace.waitForText('Ada’s second line', (t) => t === expected)
    expect(await ada.editorBlocks()).toEqual(await grace.editorBlocks())
  })

  test('[EDIT-3] bold in one peer is bold in the other', async () => {
    const { ada, grace } = await twoPeersOnOneDocument()
    await ada.typeInEditor('plain ')
    await ada.byTestId('bold').click()
    await ada.page.keyboard.type('loud words')
    await expect
      .poll(() => ada.byTestId('bold').getAttribute('aria-pressed'), { timeout: 5_000 })
      .toBe('true')

    await grace.waitForText('Ada’s text', (t) => t === 'plain loud words')
    const strong = grace.editor.locator('strong')
    await expect.poll(() => strong.allTextContents(), { timeout: 10_000 }).toEqual(['loud words'])
    expect(await grace.editorHtml()).toContain('<strong>loud words</strong>')
    // The plain part stayed plain.
    expect(await grace.editorHtml()).toMatch(/^<p>plain <strong>loud words<\/strong><\/p>$/)

    // A typed address becomes a link where it is typed (autolink runs only for local changes),
    // and the link reaches the other peer.
    await ada.press('Control+b')
    await ada.press('Enter')
    await ada.page.keyboard.type('see https://example.com/notes now')
    const link =
      /<p>see <a [^>]*href="https:\/\/example\.com\/notes"[^>]*>https:\/\/example\.com\/notes<\/a> now<\/p>$/
    await expect.poll(() => ada.editorHtml(), { timeout: 5_000 }).toMatch(link)
    await expect.poll(() => grace.editorHtml(), { timeout: 10_000 }).toMatch(link)
  })

  test('[AWARE-1] the other peer’s caret and name are visible', async () => {
    const { ada, grace } = await twoPeersOnOneDocument()
    await ada.setUserName('Ada Lovelace')
    await grace.setUserName('Grace Hopper')
    // A caret exists only where a peer has a selection in the document: both put theirs there.
    await ada.typeInEditor('first line')
    await grace.waitForText('Ada’s text', (t) => t === 'first line')
    await grace.focusEditor('end')
    await ada.focusEditor('start')

    const labelsIn = (peer: Peer) => () =>
      peer.editor
        .locator('.collaboration-carets__caret .collaboration-carets__label')
        .allTextContents()
    await expect.poll(labelsIn(ada), { timeout: 15_000 }).toEqual(['Grace Hopper'])
    await expect.poll(labelsIn(grace), { timeout: 15_000 }).toEqual(['Ada Lovelace'])
    // The name tag is drawn in the peer's colour (CollaborationCaret sets it inline).
    const tagColor = await ada.editor
      .locator('.collaboration-carets__label')
      .evaluate((el) => getComputedStyle(el).backgroundColor)
    expect(tagColor).not.toBe('rgba(0, 0, 0, 0)')
    // My own caret is never drawn as a collaborator's.
    expect(await labelsIn(ada)()).not.toContain('Ada Lovelace')
  })

  test('[UNDO-1] undo removes only my own typing', async () => {
    const { ada, grace } = await twoPeersOnOneDocument()
    await ada.typeInEditor('Shared notes')
    await grace.waitForText('Ada’s title', (t) => t === 'Shared notes')
    await grace.typeInEditor('\nfrom Grace')
    await ada.waitForText('Grace’s line', (t) => t === 'Shared notes\nfrom Grace')
    await ada.typeInEditor('\nfrom Ada')
    await grace.waitForText('Ada’s line', (t) => t === 'Shared notes\nfrom Grace\nfrom Ada')

    // Ada undoes: her last typing goes, Grace's line (typed later than Ada's title) stays.
    await ada.press('Control+z')
    const afterUndo = ['Shared notes', 'from Grace']
    await expect.poll(() => ada.editorBlocks(), { timeout: 10_000 }).toEqual(afterUndo)
    await expect.poll(() => grace.editorBlocks(), { timeout: 15_000 }).toEqual(afterUndo)

    // Grace undoing removes only Grace's line, not Ada's title.
    await grace.focusEditor('end')
    await grace.press('Control+z')
    await expect.poll(() => grace.editorBlocks(), { timeout: 10_000 }).toEqual(['Shared notes'])
    await expect.poll(() => ada.editorBlocks(), { timeout: 15_000 }).toEqual(['Shared notes'])

    // Redo brings back exactly what Ada undid.
    await ada.byTestId('redo').click()
    const afterRedo = ['Shared notes', 'from Ada']
    await expect.poll(() => ada.editorBlocks(), { timeout: 10_000 }).toEqual(afterRedo)
    await expect.poll(() => grace.editorBlocks(), { timeout: 15_000 }).toEqual(afterRedo)
  })

  test('[LINK-4] [LINK-1] [LINK-2] share link opens the same document in a second profile; no server sees its id or secret', async () => {
    const ada = await e2e.newPeer('ada')
    const link = await ada.createDocument()
    // The share link is this page's own address: same origin, same /#/d/<docId>/<secret>.
    expect(new URL(link).origin).toBe(e2e.appUrl)
    expect(new URL(link).hash).toBe(new URL(ada.page.url()).hash)
    expect(new URL(link).hash).toMatch(/^#\/d\/[^/]+\/[^/]+$/)
    const [, , docId = '', secret = ''] = new URL(link).hash.split('/')
    expect(secret.length).toBeGreaterThanOrEqual(16)
    await ada.typeInEditor('Shared by link')

    const grace = await e2e.newPeer('grace')
    // Everything Grace's browser sends to a server (HTTP and WebSocket URLs, WebSocket frames).
    const sentToServer: string[] = []
    grace.page.on('request', (request) => sentToServer.push(request.url()))
    grace.page.on('websocket', (socket) => {
      sentToServer.push(socket.url())
      socket.on('framesent', (frame) => sentToServer.push(String(frame.payload)))
    })
    await grace.openDoc(link)
    await grace.waitForText('the shared document', (t) => t === 'Shared by link')
    expect(new URL(grace.page.url()).hash).toBe(new URL(link).hash)
    // Id and secret live in the URL fragment: no request, socket URL or signaling frame has them.
    expect(sentToServer.length).toBeGreaterThan(0)
    expect(sentToServer.filter((s) => s.includes(secret) || s.includes(docId))).toEqual([])
  })

  test('[AWARE-2] my name is remembered in this browser', async () => {
    const ada = await e2e.newPeer('ada')
    await ada.createDocument()
    const input = ada.byTestId('user-name')
    // A pleasant default is there before I choose.
    expect((await input.inputValue()).trim()).not.toBe('')
    await ada.setUserName('Ada Lovelace')
    await ada.reload()
    await expect.poll(() => input.inputValue(), { timeout: 5_000 }).toBe('Ada Lovelace')
    // ...also in another document.
    await ada.createDocument()
    await expect.poll(() => input.inputValue(), { timeout: 5_000 }).toBe('Ada Lovelace')
  })
})
