import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { useE2E } from './helpers/harness'
import type { Peer } from './helpers/peer'

// Export and import in Chromium (rules XFER-1..8): a download captured with Playwright's
// download event is set on the home page's import-file input and comes back as a new document.

const e2e = useE2E()

interface EditorRoot extends HTMLElement {
  editor?: { getJSON(): { content?: { type: string; content?: unknown[] }[] } }
}

/** The editor's document as JSON, without its chunks (src/editor/chunks.ts): as Yjs holds it. */
async function editorJson(peer: Peer): Promise<unknown> {
  return peer.editor.evaluate((el: EditorRoot) => {
    if (el.editor === undefined) throw new Error('editor root has no .editor property')
    const json = el.editor.getJSON()
    const blocks = (json.content ?? []).flatMap((node) =>
      node.type === 'chunk' ? (node.content ?? []) : [node],
    )
    return { ...json, content: blocks }
  })
}

/** Exports through the document's Export menu; resolves with the saved file's path. */
async function exportAs(peer: Peer, testId: string, dir: string): Promise<string> {
  await peer.page.locator('[data-testid="export-menu"] > summary').click()
  const [download] = await Promise.all([
    peer.page.waitForEvent('download'),
    peer.byTestId(testId).click(),
  ])
  const file = path.join(dir, download.suggestedFilename())
  await download.saveAs(file)
  return file
}

function docIdOf(url: string): string {
  return new URL(url).hash.split('/')[2] ?? ''
}

/** A document with headings, marks, a link, lists and a task list, typed as a person does. */
async function writeSample(peer: Peer): Promise<void> {
  await peer.createDocument()
  await peer.typeInEditor('# Quarterly report\nSome ')
  await peer.press('Control+b')
  await peer.page.keyboard.type('bold')
  await peer.press('Control+b')
  await peer.page.keyboard.type(' and ')
  await peer.press('Control+i')
  await peer.page.keyboard.type('italic')
  await peer.press('Control+i')
  await peer.page.keyboard.type(' text, see https://example.com/a_b for more.\n- first\nsecond\n\n')
  await peer.page.keyboard.type('[ ] to do\ndone\n\n> a quote\n')
  await peer.waitForDataState('saved-status', 'saved')
}

/** The visible problem place of the current page. */
function visibleProblem(peer: Peer): ReturnType<Peer['byTestId']> {
  return peer.page.locator('[data-testid="problem"]:visible')
}

describe('export and import', () => {
  test('[XFER-1] [XFER-5] [XFER-6] Markdown exported from a document imports as a new, equal document', async () => {
    const ada = await e2e.newPeer('ada')
    await writeSample(ada)
    const original = await editorJson(ada)
    const originalId = docIdOf(ada.page.url())
    const dir = mkdtempSync(path.join(tmpdir(), 'meshpad-xfer-'))
    const file = await exportAs(ada, 'export-markdown', dir)
    expect(path.basename(file)).toBe('Quarterly report.md')

    await ada.openHome()
    const items = ada.byTestId('document-item')
    await expect.poll(() => items.count()).toBe(1)
    await ada.byTestId('import-file').setInputFiles(file)
    await expect
      .poll(() => docIdOf(ada.page.url()), { message: 'a new document opens', timeout: 15_000 })
      .not.toMatch(new RegExp(`^(${originalId})?$`))
    await ada.editor.waitFor()
    await expect.poll(() => editorJson(ada), { timeout: 10_000 }).toEqual(original)
    // Stored in this browser: it survives a reload with no network.
    await ada.context.routeWebSocket(/\/(signal|store)$/, (socket) => socket.close())
    await ada.reload()
    await expect.poll(() => editorJson(ada), { timeout: 10_000 }).toEqual(original)

    await ada.openHome()
    await expect.poll(() => items.count()).toBe(2)
    expect(await items.allTextContents()).toEqual([
      expect.stringContaining('Quarterly report'),
      expect.stringContaining('Quarterly report'),
    ])
  })

  test('[XFER-2] [XFER-3] [XFER-4] [XFER-5] [XFER-6] HTML, JSON and .meshpad round-trip; .meshpad gets a new link', async () => {
    const ada = await e2e.newPeer('ada')
    await writeSample(ada)
    const original = await editorJson(ada)
    const link = ada.page.url()
    const dir = mkdtempSync(path.join(tmpdir(), 'meshpad-xfer-'))
    const files = {
      html: await exportAs(ada, 'export-html', dir),
      json: await exportAs(ada, 'export-json', dir),
      meshpad: await exportAs(ada, 'export-yjs', dir),
    }
    const seen = new Set([docIdOf(link)])
    for (const [format, file] of Object.entries(files)) {
      await ada.openHome()
      await ada.byTestId('import-file').setInputFiles(file)
      await expect
        .poll(() => docIdOf(ada.page.url()), { message: `${format}: a new document opens` })
        .toSatisfy((id: string) => id !== '' && !seen.has(id))
      seen.add(docIdOf(ada.page.url()))
      await ada.editor.waitFor()
      await expect
        .poll(() => editorJson(ada), { message: format, timeout: 10_000 })
        .toEqual(original)
      if (format === 'meshpad') {
        await expect.poll(() => ada.byTestId('toast').textContent()).toContain('new link')
      }
    }
  })

  test('[XFER-7] a broken file and hostile HTML are refused with the reason shown; nothing is created or run', async () => {
    const ada = await e2e.newPeer('ada')
    await ada.openHome()
    const input = ada.byTestId('import-file')
    await input.setInputFiles({
      name: 'cut short.meshpad',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from('MESHPAD\u0000\u0001\u0000\u0000\u0000\u0040{"title":', 'latin1'),
    })
    await expect.poll(() => visibleProblem(ada).textContent()).toContain('incomplete')
    expect(await visibleProblem(ada).getAttribute('data-reason')).toBe('truncated')

    await input.setInputFiles({
      name: 'evil.html',
      mimeType: 'text/html',
      buffer: Buffer.from(
        '<p>hello</p><img src="x" onerror="window.__pwned = 1"><script>window.__pwned = 1</script>',
      ),
    })
    await expect.poll(() => visibleProblem(ada).getAttribute('data-reason')).toBe('active-content')
    expect(await visibleProblem(ada).textContent()).toContain('scripts')
    expect(await ada.page.evaluate(() => (window as { __pwned?: unknown }).__pwned)).toBeUndefined()

    await input.setInputFiles({
      name: 'photo.png',
      mimeType: 'image/png',
      buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47]),
    })
    await expect
      .poll(() => visibleProblem(ada).getAttribute('data-reason'))
      .toBe('unsupported-type')

    expect(new URL(ada.page.url()).hash).toMatch(/^(#\/?)?$/)
    expect(await ada.byTestId('document-item').count()).toBe(0)
    // Nothing was stored either: no document database exists in this profile.
    const databases = await ada.page.evaluate(async () =>
      (await indexedDB.databases()).map((db) => db.name ?? ''),
    )
    expect(databases.filter((name) => name.startsWith('meshpad:doc:'))).toEqual([])
  })

  test('[XFER-8] printing shows the document alone, full width', async () => {
    const ada = await e2e.newPeer('ada')
    await writeSample(ada)
    await ada.page.emulateMedia({ media: 'print' })
    for (const hidden of ['share-link', 'export-menu', 'saved-status', 'network-toggle']) {
      expect(await ada.byTestId(hidden).isVisible(), hidden).toBe(false)
    }
    expect(await ada.page.locator('.toolbar').isVisible()).toBe(false)
    expect(await ada.editor.isVisible()).toBe(true)
    const widths = await ada.page.evaluate(() => ({
      editor: document.querySelector('[data-testid="editor"]')?.getBoundingClientRect().width ?? 0,
      page: document.documentElement.clientWidth,
    }))
    expect(widths.editor).toBeGreaterThan(widths.page * 0.9)
    const pdf = await ada.page.pdf()
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-')
  })
})
