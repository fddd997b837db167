import { describe, expect, it } from 'vitest'
import { CHUNK_SIZE } from '../../src/editor/chunks'
import { waitFor } from '../helpers/wait-for'
import { useE2E } from './helpers/harness'
import type { Peer } from './helpers/peer'

// The editor as a user meets it (issue 2, item 3): formatting from the toolbar and the keyboard,
// the active-state toolbar, the placeholder, the link policy, and paste that can never run code.

const e2e = useE2E()

// The toolbar follows the editor on the next frame (one refresh per frame, src/ui/toolbar.ts):
// read it with `expect.poll`, as a click can return before that frame.
async function pressed(peer: Peer, id: string): Promise<string | null> {
  return peer.byTestId(id).getAttribute('aria-pressed')
}

/** Pastes HTML the way a browser delivers it: a paste event with text/html on the editor. */
async function pasteHtml(peer: Peer, html: string): Promise<void> {
  await peer.editor.evaluate((el, markup) => {
    const data = new DataTransfer()
    data.setData('text/html', markup)
    data.setData('text/plain', markup.replace(/<[^>]*>/g, ''))
    el.dispatchEvent(
      new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }),
    )
  }, html)
}

describe('editing', () => {
  it('[EDIT-5] an empty document shows a placeholder', async () => {
    const a = await e2e.newPeer('A')
    await a.createDocument()
    const placeholder = await a.page
      .locator('[data-testid=editor] p.is-editor-empty')
      .getAttribute('data-placeholder')
    expect(placeholder).toMatch(/Start writing/)
  })

  it('[EDIT-1] shortcuts and toolbar make every mark and block, and the toolbar shows what is active', async () => {
    const a = await e2e.newPeer('A')
    await a.createDocument()
    await a.typeInEditor('Title')
    await a.byTestId('heading-1').click()
    await expect.poll(() => pressed(a, 'heading-1')).toBe('true')
    await a.press('End')
    await a.press('Enter')
    await a.press('Control+b')
    await a.page.keyboard.type('bold')
    await expect.poll(() => pressed(a, 'bold')).toBe('true')
    await a.press('Control+b')
    await a.press('Control+i')
    await a.page.keyboard.type(' italic')
    await expect.poll(() => pressed(a, 'italic')).toBe('true')
    await expect.poll(() => pressed(a, 'bold')).toBe('false')
    await a.press('Control+i')
    await a.press('Enter')
    await a.byTestId('task-list').click()
    await a.page.keyboard.type('a task')
    await a.press('Enter')
    await a.press('Enter') // leaves the list
    await a.byTestId('code-block').click()
    await a.page.keyboard.type('const x = 1')
    await expect.poll(() => pressed(a, 'code-block')).toBe('true')
    // Three Enters leave a code block (Tiptap's exitOnTripleEnter), as a user would.
    for (let i = 0; i < 3; i++) await a.press('Enter')
    await a.byTestId('blockquote').click()
    await a.page.keyboard.type('quoted')
    await a.byTestId('horizontal-rule').click()
    await a.page.keyboard.type('after the rule')
    await a.press('Shift+Enter')
    await a.page.keyboard.type('next line')
    const html = await a.editorHtml()
    expect(html).toContain('<h1>Title</h1>')
    expect(html).toContain('<strong>bold</strong>')
    expect(html).toContain('<em> italic</em>')
    expect(html).toMatch(/<ul data-type="taskList">.*a task/)
    expect(html).toMatch(/<pre><code>const x = 1<\/code><\/pre>/)
    expect(html).toMatch(/<blockquote>.*quoted.*<\/blockquote>/)
    expect(html).toContain('<hr>')
    expect(html).toMatch(/after the rule<br>next line/)
  })

  it('[EDIT-6] [BIND-6] typing lands at the caret in new blocks and in blocks reached past the fold', async () => {
    const a = await e2e.newPeer('A')
    await a.createDocument()
    // A long document first (set up through the editor's own API: a paste of 300 paragraphs).
    const seeds = Array.from({ length: 300 }, (_, i) => `seed ${i}`)
    await a.editor.evaluate((el: HTMLElement & { editor?: unknown }, lines) => {
      const editor = el.editor as { commands: { insertContent(html: string): boolean } }
      editor.commands.insertContent(lines.map((line) => `<p>${line}</p>`).join(''))
    }, seeds)
    expect(await a.editorBlocks()).toEqual(seeds)
    // Enter then type at once, well past the bottom of the window: each new block is typed into
    // before Chromium has rendered a frame with it ("line 7" came out "ine 7l" before the fix),
    // and the chunk they go into grows past 2 x CHUNK_SIZE blocks and is cut.
    const rows = 80
    await a.focusEditor('end')
    for (let i = 0; i < rows; i++) {
      await a.press('Enter')
      await a.page.keyboard.type(`line ${i}`)
    }
    const written = Array.from({ length: rows }, (_, i) => `line ${i}`)
    expect(await a.editorBlocks()).toEqual([...seeds, ...written])
    // Chunks far from the caret still skip layout; those near it, and the first, never do.
    const visibility = await a.editor.evaluate((el) =>
      Array.from(el.children).map((chunk) => getComputedStyle(chunk).contentVisibility),
    )
    expect(visibility.length).toBeGreaterThanOrEqual((seeds.length + rows) / (2 * CHUNK_SIZE))
    expect(visibility[0]).toBe('visible')
    expect(visibility.slice(1, -2)).toContain('auto')
    expect(visibility.slice(-2)).toEqual(['visible', 'visible'])

    // From the bottom up and from the top down, from the keyboard alone, over chunk edges.
    await a.focusEditor('end')
    for (let i = 0; i < rows; i++) {
      await a.press('Home')
      await a.page.keyboard.type('<')
      await a.press('ArrowUp')
    }
    for (let i = 0; i < rows; i++) {
      await a.press('ArrowDown')
      await a.press('End')
      await a.page.keyboard.type('>')
    }
    expect(await a.editorBlocks()).toEqual([...seeds, ...written.map((line) => `<${line}>`)])

    // A selection over blocks of several chunks, from the keyboard, made one list.
    await a.focusEditor('end')
    for (let i = 1; i < rows; i++) await a.press('Shift+ArrowUp')
    await a.byTestId('bullet-list').click()
    const html = await a.editorHtml()
    const items = html.slice(html.indexOf('<ul>')).match(/<li>/g) ?? []
    expect(items).toHaveLength(rows)
    expect((await a.editorBlocks()).slice(0, -1)).toEqual(seeds)
  })

  it('[EDIT-2] the link button accepts https and refuses javascript:, which never becomes a live link', async () => {
    const a = await e2e.newPeer('A')
    await a.createDocument()
    await a.typeInEditor('click here')
    await a.press('Shift+Home')
    const answers = ['javascript:alert(1)', 'https://example.com/page']
    a.page.on('dialog', (dialog) => void dialog.accept(answers.shift() ?? ''))
    await a.byTestId('link').click()
    await a.byTestId('toast').waitFor()
    expect(await a.byTestId('toast').textContent()).toMatch(/Only http, https and mailto/)
    expect(await a.editorHtml()).not.toContain('<a')
    await a.byTestId('link').click()
    expect(await a.editorHtml()).toContain('href="https://example.com/page"')
    await expect.poll(() => pressed(a, 'link')).toBe('true')
  })

  it('[EDIT-4] [EDIT-2] pasted HTML is reduced to the schema and never runs', async () => {
    const a = await e2e.newPeer('A')
    await a.createDocument()
    await a.focusEditor()
    await pasteHtml(
      a,
      [
        '<h2 onclick="window.__pwned=1">Pasted heading</h2>',
        '<p>safe <a href="https://example.com">good link</a> and',
        ' <a href="javascript:window.__pwned=2">bad link</a></p>',
        '<img src="x" onerror="window.__pwned=3">',
        '<script>window.__pwned=4</script>',
        '<iframe src="javascript:window.__pwned=5"></iframe>',
        '<p style="color:red" data-x="1"><u>underlined</u> <span>span</span></p>',
      ].join(''),
    )
    await a.waitForText('the paste landed', (text) => text.includes('Pasted heading'))
    // A negative check needs a window: any pasted handler gets 1 s to run, and none may.
    await expect(
      waitFor(
        'a pasted script or handler to run',
        () => a.page.evaluate(() => (window as { __pwned?: unknown }).__pwned),
        { timeoutMs: 1_000 },
      ),
    ).rejects.toThrow(/did not hold/)
    const html = await a.editorHtml()
    expect(html).toContain('<h2>Pasted heading</h2>')
    expect(html).toContain('href="https://example.com"')
    expect(html).not.toMatch(/javascript:|onerror|onclick|<script|<iframe|<img|style=|<u>/)
    expect(html).toContain('bad link') // the text stays; only the link is dropped
    const liveHrefs = await a.editor.evaluate((el) =>
      Array.from(el.querySelectorAll('a')).map((link) => link.getAttribute('href')),
    )
    expect(liveHrefs).toEqual(['https://example.com'])
  })
})
