import { describe, expect, it } from 'vitest'
import { useE2E } from './helpers/harness'

// What the status bar, people list and share panel tell the user, checked in real Chromium.

const e2e = useE2E()

describe('status, people and sharing', () => {
  it('[AWARE-3] [STATUS-2] [LINK-5] each sees the other in the people list, one peer, and copies the link', async () => {
    const a = await e2e.newPeer('A')
    const b = await e2e.newPeer('B')
    const link = await a.createDocument()
    await a.setUserName('Ada Lovelace')
    await b.openDoc(link)
    await b.setUserName('<b>Grace</b> Hopper')
    await a.waitForPeerCount(1)
    await b.waitForPeerCount(1)
    const names = async (peer: typeof a): Promise<string[]> =>
      peer.byTestId('peer').allTextContents()
    const WAIT = { timeout: 15_000 }
    await expect
      .poll(() => names(a), { message: 'A lists B by name', ...WAIT })
      .toContain('<b>Grace</b> Hopper')
    await expect
      .poll(() => names(b), { message: 'B lists A by name', ...WAIT })
      .toContain('Ada Lovelace')
    // A peer's name is text, never markup.
    expect(await a.page.locator('[data-testid=peer-list] b').count()).toBe(0)

    const origin = new URL(link).origin
    await a.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin })
    await a.byTestId('copy-link').click()
    await a.byTestId('toast').waitFor()
    expect(await a.page.evaluate(() => navigator.clipboard.readText())).toBe(link)
  })

  it('[LINK-7] a link reusing a known id with another secret is refused; the document is untouched', async () => {
    const a = await e2e.newPeer('A')
    const link = await a.createDocument()
    await a.typeInEditor('The real document.')
    await a.waitForDataState('saved-status', 'saved')
    const url = new URL(link)
    const [, , docId = ''] = url.hash.split('/')
    const otherSecret = 'x'.repeat(43)
    await a.page.goto(`${url.origin}/#/d/${docId}/${otherSecret}`)
    await a.byTestId('broken-link').waitFor()
    expect(await a.byTestId('broken-link').textContent()).toMatch(/not opened/)
    expect(await a.editor.count()).toBe(0)
    await a.openDoc(link)
    await a.waitForText('the real document is intact', (text) => text === 'The real document.')
  })

  it('[STATUS-3] [SAVE-3] a corrupt stored row is set aside, the user is told, and the rest opens', async () => {
    const a = await e2e.newPeer('A')
    const link = await a.createDocument()
    await a.typeInEditor('Text that must survive.')
    await a.waitForDataState('saved-status', 'saved')
    const docId = new URL(link).hash.split('/')[2] ?? ''
    const blank = await a.openTab('A, blank')
    await a.closeTab()
    await blank.page.goto(new URL(link).origin + '/favicon.svg')
    // Plant a row that is not a Yjs update in the document's store, as disk corruption would.
    await blank.page.evaluate(async (name) => {
      await new Promise<void>((resolve, reject) => {
        const open = indexedDB.open(name)
        open.onerror = () => reject(new Error('open failed'))
        open.onsuccess = () => {
          const tx = open.result.transaction(['updates'], 'readwrite')
          tx.objectStore('updates').add(new Uint8Array([255, 255, 255, 9, 9, 9]))
          tx.oncomplete = () => {
            open.result.close()
            resolve()
          }
        }
      })
    }, `meshpad:doc:${docId}`)
    await blank.openDoc(link)
    await blank.waitForText('the good rows still load', (text) =>
      text.includes('Text that must survive.'),
    )
    await blank.byTestId('problem').waitFor()
    expect(await blank.byTestId('problem').textContent()).toMatch(/damaged and has been set aside/)
    // The document stays editable and saves.
    await blank.typeInEditor(' Still editable.')
    await blank.waitForDataState('saved-status', 'saved')
  })
})
