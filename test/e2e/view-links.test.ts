import { describe, expect, test } from 'vitest'
import { useE2E } from './helpers/harness'
import type { Peer } from './helpers/peer'

// View links in real Chromium, each person in their own profile (docs/SPEC.md VIEW, GATE,
// THREAT): the reader follows live and cannot type; a reader page modified to write anyway
// (editor forced editable, its Y.Doc changed directly) changes nothing for an editor, another
// reader or a newcomer, and still receives what the editor writes next.

const e2e = useE2E()
const WAIT = { timeout: 20_000, interval: 100 }

async function viewLink(peer: Peer): Promise<string> {
  return peer.byTestId('share-link-view').inputValue()
}

/** Ada writes; Rita opens the view link. */
async function editorAndReader(text: string): Promise<{ ada: Peer; rita: Peer; view: string }> {
  const ada = await e2e.newPeer('ada')
  await ada.createDocument()
  await ada.typeInEditor(text)
  const view = await viewLink(ada)
  expect(view).toMatch(/#\/v\/[A-Za-z0-9_-]{22}\/[A-Za-z0-9_-]{86}$/)
  const rita = await e2e.newPeer('rita')
  await rita.openDoc(view)
  await rita.waitForText('Ada’s text', (t) => t === text)
  return { ada, rita, view }
}

/** What a modified client does: its editor made editable, then typing; then its Y.Doc changed. */
async function writeAsModifiedReader(reader: Peer, typed: string, direct: string): Promise<void> {
  await reader.editor.evaluate((el) => {
    const editor = (el as HTMLElement & { editor: { setEditable(on: boolean): void } }).editor
    editor.setEditable(true)
  })
  await reader.typeInEditor(typed)
  await reader.editor.evaluate((el, text) => {
    interface Fragment {
      doc: { transact(fn: () => void): void }
      length: number
      get(i: number): { insert(at: number, content: unknown[]): void } | undefined
    }
    const editor = (
      el as HTMLElement & {
        editor: { extensionManager: { extensions: { options: { fragment?: Fragment } }[] } }
      }
    ).editor
    const fragment = editor.extensionManager.extensions.find((e) => e.options.fragment)?.options
      .fragment
    if (!fragment) throw new Error('no Yjs fragment found in the editor')
    // Straight into the Y.Doc: a paragraph's text node gets the forged words.
    const paragraph = fragment.get(0) as unknown as {
      get(i: number): { insert(at: number, text: string): void }
    }
    fragment.doc.transact(() => paragraph.get(0).insert(0, text))
  }, direct)
}

describe('view links enforced by every peer', () => {
  test('[VIEW-1][VIEW-3][VIEW-4] a reader follows live, is listed as a viewer and cannot type', async () => {
    const { ada, rita } = await editorAndReader('Minutes of Monday')
    await Promise.all([ada.waitForPeerCount(1), rita.waitForPeerCount(1)])

    // Live, both text and the editor's caret and name.
    await ada.setUserName('Ada Lovelace')
    await ada.typeInEditor('\nbudget approved')
    await rita.waitForText('the live edit', (t) => t === 'Minutes of Monday\nbudget approved')
    await expect
      .poll(() => rita.page.locator('.collaboration-carets__label').allTextContents(), WAIT)
      .toContain('Ada Lovelace')

    // Listed as a viewer on the editor's screen, by the proof its session lacks.
    await rita.setUserName('Rita Reader')
    await expect
      .poll(
        () =>
          ada.page
            .locator('[data-testid=peer][data-role=viewer]')
            .allTextContents()
            .then((t) => t.join('|')),
        WAIT,
      )
      .toContain('Rita Reader')
    expect(await ada.page.locator('[data-testid=peer][data-role=editor]').count()).toBe(0)

    // The reader's screen: no edit link, a view link, nothing editable.
    expect(await rita.byTestId('share-link').count()).toBe(0)
    expect(await viewLink(rita)).toBe(await viewLink(ada))
    expect(await rita.byTestId('move-link').count()).toBe(0)
    expect(await rita.page.locator('.ProseMirror').getAttribute('contenteditable')).toBe('false')
    for (const button of ['bold', 'heading-1', 'bullet-list', 'link', 'undo']) {
      const tool = rita.byTestId(button)
      if ((await tool.count()) > 0) expect(await tool.isDisabled(), button).toBe(true)
    }
    await rita.editor.click()
    await rita.page.keyboard.type('nope')
    expect(await rita.editorText()).toBe('Minutes of Monday\nbudget approved')
    // Selecting and copying still work.
    await rita.page.keyboard.press('Control+a')
    const selected = await rita.page.evaluate(() => window.getSelection()?.toString() ?? '')
    expect(selected).toContain('budget approved')
    expect(await rita.byTestId('export-menu').count()).toBe(1)
  })

  test('[THREAT-8][GATE-1] a reader client modified to write changes nothing for editors, readers or newcomers, and still receives', async () => {
    const { ada, rita, view } = await editorAndReader('Official text')
    const vera = await e2e.newPeer('vera')
    await vera.openDoc(view)
    await vera.waitForText('Ada’s text', (t) => t === 'Official text')

    await writeAsModifiedReader(rita, ' FORGED-TYPED', 'FORGED-DIRECT ')
    // Rita's own screen shows her forgery; nobody else's does.
    await rita.waitForText('her own forgery', (t) => t.includes('FORGED'))

    await ada.typeInEditor('\nsecond line')
    const expected = 'Official text\nsecond line'
    await vera.waitForText('Ada’s later edit', (t) => t === expected)
    await ada.waitForText('her own edit', (t) => t === expected)
    // Still receiving: the modified reader gets the later edit too.
    await rita.waitForText('Ada’s later edit', (t) => t.includes('second line'))

    // A newcomer (another editor) sees only what editors wrote.
    const grace = await e2e.newPeer('grace')
    await grace.openDoc(await ada.shareLink())
    await grace.waitForText('the document', (t) => t === expected)
    // Give any forged traffic time to arrive anywhere it could.
    await ada.page.waitForTimeout(1_500)
    for (const peer of [ada, vera, grace]) {
      expect(await peer.editorText(), peer.label).toBe(expected)
    }
  })
})

describe('moving a document to a new link', () => {
  test('[MOVE-7][MOVE-8][THREAT-7] the content moves; editors on the old link are told; nothing new reaches it', async () => {
    const ada = await e2e.newPeer('ada')
    const oldLink = await ada.createDocument()
    await ada.typeInEditor('Plans that leaked')
    const bob = await e2e.newPeer('bob')
    await bob.openDoc(oldLink)
    await bob.waitForText('Ada’s text', (t) => t === 'Plans that leaked')
    await Promise.all([ada.waitForPeerCount(1), bob.waitForPeerCount(1)])
    await ada.waitForDataState('pinned-status', 'pinned')

    await ada.byTestId('move-link').click()
    const confirm = ada.byTestId('move-confirm')
    await confirm.waitFor()
    expect(await confirm.textContent()).toContain('cannot undo what was already read')
    await ada.byTestId('move-link-confirm').click()
    await expect.poll(() => ada.page.url(), WAIT).not.toBe(oldLink)
    const newLink = await ada.shareLink()
    expect(newLink).not.toBe(oldLink)
    await ada.editor.waitFor()
    await ada.waitForText('the moved content', (t) => t === 'Plans that leaked')

    // Bob, still on the old link, is told, and can no longer edit.
    await bob.byTestId('moved-notice').waitFor({ state: 'visible', timeout: 20_000 })
    expect(await bob.page.locator('.ProseMirror').getAttribute('contenteditable')).toBe('false')

    // What Ada writes now reaches nobody on the old link.
    await ada.typeInEditor(' and the new plan')
    await ada.waitForText('her edit', (t) => t === 'Plans that leaked and the new plan')
    // Someone opening the old link later learns of the move too (from the always-on peer).
    const carol = await e2e.newPeer('carol')
    await carol.openDoc(oldLink)
    await carol.byTestId('moved-notice').waitFor({ state: 'visible', timeout: 20_000 })
    await bob.page.waitForTimeout(1_500)
    expect(await bob.editorText()).toBe('Plans that leaked')
    expect(await carol.editorText()).not.toContain('new plan')
  })
})
