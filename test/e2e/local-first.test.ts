import { describe, expect, test } from 'vitest'
import { useE2E } from './helpers/harness'

// What one browser keeps for itself: the document in IndexedDB and the list of documents.

const e2e = useE2E()

describe('local first', () => {
  test('[LOCAL-1] [LOCAL-2] reload restores the document from IndexedDB after the other peer left, with no network', async () => {
    const ada = await e2e.newPeer('ada')
    const link = await ada.createDocument()
    const grace = await e2e.newPeer('grace')
    await grace.openDoc(link)
    await Promise.all([ada.waitForPeerCount(1), grace.waitForPeerCount(1)])

    await ada.typeInEditor('written by Ada')
    await grace.waitForText('Ada’s line', (t) => t === 'written by Ada')
    await grace.typeInEditor('\nwritten by Grace')
    await ada.waitForText('Grace’s line', (t) => t === 'written by Ada\nwritten by Grace')
    await grace.waitForDataState('saved-status', 'saved')

    // Ada closes her tab for good: from now on the document exists only in Grace's browser.
    await ada.leave()
    await grace.waitForPeerCount(0)

    // And Grace reopens it with no network at all: signaling and the always-on peer are refused.
    await grace.context.routeWebSocket(/\/(signal|store)$/, (socket) => socket.close())
    await grace.reload()
    // Shown from IndexedDB alone.
    await grace.waitForText(
      'the document restored from IndexedDB',
      (t) => t === 'written by Ada\nwritten by Grace',
      10_000,
    )
    expect(await grace.peerCount()).toBe(0)
    await grace.waitForDataState('saved-status', 'saved')
  })

  test('[LIST-1] [DOC-2] a new document appears in the document list, titled by its first line', async () => {
    const ada = await e2e.newPeer('ada')
    await ada.openHome()
    const before = await ada.byTestId('document-item').count()
    const link = await ada.createDocument()
    await ada.typeInEditor('Quarterly report\nsecond line')
    await ada.waitForDataState('saved-status', 'saved')

    // Back to the home page with a full load: the list comes from this browser's storage.
    await ada.openHome()
    const items = ada.byTestId('document-item')
    await expect
      .poll(() => items.allTextContents(), {
        message: 'the list holds one more document, titled by its first line "Quarterly report"',
        timeout: 10_000,
      })
      .toSatisfy(
        (shown: string[]) =>
          shown.length === before + 1 && shown.some((t) => t.includes('Quarterly report')),
      )
    const item = items.filter({ hasText: 'Quarterly report' })

    // The item leads back to the document.
    const docId = new URL(link).hash.split('/')[2] ?? ''
    const isLink = (await item.evaluate((el) => el.tagName)) === 'A'
    await (isLink ? item : item.locator('a').first()).click()
    await ada.editor.waitFor()
    await ada.waitForText('the document', (t) => t === 'Quarterly report\nsecond line')
    expect(ada.page.url()).toContain(docId)
  })

  test('[LIST-2] removing a document asks first, then drops it and its local copy', async () => {
    const ada = await e2e.newPeer('ada')
    const link = await ada.createDocument()
    await ada.typeInEditor('Short-lived')
    await ada.waitForDataState('saved-status', 'saved')
    await ada.openHome()
    const item = ada.byTestId('document-item')
    await expect.poll(() => item.count(), { timeout: 10_000 }).toBe(1)

    await item.getByTestId('remove-document').click()
    // Asked, not yet done.
    await ada.byTestId('confirm-remove').waitFor()
    expect(await item.count()).toBe(1)
    await ada.byTestId('confirm-remove').click()
    await expect.poll(() => item.count(), { timeout: 10_000 }).toBe(0)

    // The local copy is gone too: reopening the link (no peers, no always-on peer) shows nothing.
    await ada.openHome()
    expect(await item.count()).toBe(0)
    await ada.context.routeWebSocket(/\/(signal|store)$/, (socket) => socket.close())
    await ada.openDoc(link)
    await ada.waitForDataState('saved-status', 'saved')
    expect(await ada.editorText()).toBe('')
  })

  test('[LINK-6] a malformed link is refused with a reason and nothing is created', async () => {
    const ada = await e2e.newPeer('ada')
    await ada.page.goto(`${e2e.appUrl}/#/d/not-a-real-id/short`)
    const refusal = ada.byTestId('broken-link')
    await refusal.waitFor()
    expect((await refusal.textContent())?.trim()).not.toBe('')
    expect(await ada.editor.count()).toBe(0)
    await ada.openHome()
    expect(await ada.byTestId('document-item').count()).toBe(0)
  })
})
