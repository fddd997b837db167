// Two people, each in their own browser profile, on the automerge-paper document and a paragraph
// of random letters: its state, even compressed (GATE-7; the trace alone deflates to ~110 KB), is
// larger than the 256 KiB Chromium accepts in one data-channel message, so before the chunked
// transport a new peer never received it (and nothing said so). Rules: docs/SPEC.md.
//
// Ada's copy is the trace replayed keystroke by keystroke (259,778 Yjs transactions, so the state
// carries the document's real history, ~290 KB V1) in the paragraph structure the editor writes,
// stored in her profile's IndexedDB in the app's storage layout: she opens it as she would after
// a reload. Building it in her editor instead takes minutes (bench B2), and her editor given only
// the final text makes a state without history, smaller than 256 KiB, which would prove nothing.
import * as Y from 'yjs'
import { describe, expect, test } from 'vitest'
import { docIdOf, freshLink, readRows, storeState } from '../../bench/lib/app'
import { scaledDoc } from '../../bench/lib/scaled-doc'
import { loadTrace, replayString } from '../../bench/lib/trace'
import { traceState } from '../../bench/lib/ydoc'
import { bodyOf, createDoc } from '../../src/doc/model'
import { deflate } from '../../src/sync/gate/deflate'
import { randomParagraphs } from '../helpers/random'
import { waitFor } from '../helpers/wait-for'
import { useE2E } from './helpers/harness'

const e2e = useE2E()

/** Chromium's `a=max-message-size`. */
const CHROMIUM_MAX_MESSAGE = 262_144

/** `state` with paragraphs holding `texts` added at the end, as the editor writes paragraphs. */
function withParagraphs(state: Uint8Array, texts: readonly string[]): Uint8Array {
  const doc = createDoc()
  Y.applyUpdate(doc, state)
  for (const text of texts) {
    const paragraph = new Y.XmlElement('paragraph')
    paragraph.insert(0, [new Y.XmlText(text)])
    bodyOf(doc).push([paragraph])
  }
  return Y.encodeStateAsUpdate(doc)
}

describe('large documents between two browser profiles', () => {
  test('[LARGE-1] [CHUNK-1] [BIND-7] a document larger than 256 KiB reaches a new Chromium peer, who can go to its end and type there', async () => {
    const trace = loadTrace('automerge-paper')
    const replayed = traceState(trace)
    expect(replayed.text).toBe(trace.endContent)
    const noise = randomParagraphs(60, 10_000)
    const content = [trace.endContent, ...noise].join('\n')
    const state = withParagraphs(replayed.state, noise)
    expect((await deflate(state)).byteLength).toBeGreaterThan(CHROMIUM_MAX_MESSAGE)

    const ada = await e2e.newPeer('ada')
    await ada.openHome()
    const link = freshLink(e2e.appUrl)
    await storeState(ada.page, docIdOf(link), state)
    await ada.openDoc(link)
    await ada.waitForText('her stored copy', (t) => t === content, 30_000)

    // Grace has nothing: everything she ends with came over WebRTC from Ada.
    const grace = await e2e.newPeer('grace')
    await grace.openDoc(link)
    await grace.waitForText('the whole document from Ada', (t) => t === content, 45_000)
    expect(await grace.editorBlocks()).toEqual(await ada.editorBlocks())

    // What Grace stored is the full state, history included, not a lookalike rebuilt from text.
    await grace.waitForDataState('saved-status', 'saved', 30_000)
    const rows = await readRows(grace.page, docIdOf(link))
    const received = new Y.Doc()
    for (const row of rows) Y.applyUpdate(received, row)
    expect(Y.encodeStateAsUpdate(received).byteLength).toBeGreaterThan(CHROMIUM_MAX_MESSAGE)
    const reference = new Y.Doc()
    Y.applyUpdate(reference, state)
    expect(Y.encodeStateVector(received)).toEqual(Y.encodeStateVector(reference))

    // Off-screen blocks skip layout (content-visibility: auto in styles.css), and chunks far from
    // the screen are not rendered yet (BIND-7): the caret still reaches the end from the keyboard
    // and is scrolled into view, typing lands there for both, and the browser's find
    // (window.find, as find-in-page) still finds text never rendered, selecting it in the editor.
    await grace.typeInEditor(' The end.')
    const edited = `${content} The end.`
    await ada.waitForText('Grace typing at the end', (t) => t === edited, 30_000)
    await grace.waitForText('her own typing at the end', (t) => t === edited)
    const caretInView = await grace.page.evaluate(() => {
      const selection = document.getSelection()
      const host = document.querySelector('.editor-host')
      if (!selection || selection.rangeCount === 0 || !host) return 'no selection or host'
      const caret = selection.getRangeAt(0).getBoundingClientRect()
      const view = host.getBoundingClientRect()
      return caret.top >= view.top && caret.bottom <= view.bottom
        ? true
        : `caret ${caret.top}-${caret.bottom}, view ${view.top}-${view.bottom}`
    })
    expect(caretInView).toBe(true)
    // A phrase from a paragraph in the middle, far off screen and in a chunk not rendered: searched
    // backwards from the caret.
    const lines = trace.endContent.split('\n')
    const paragraph = lines.find((p, i) => i > lines.length / 2 && p.length > 80) ?? ''
    const placeholders = (): Promise<string[]> =>
      grace.page.evaluate(() =>
        Array.from(document.querySelectorAll('.chunk-placeholder'), (el) => el.textContent ?? ''),
      )
    expect((await placeholders()).some((text) => text.includes(paragraph))).toBe(true)
    const phrase = paragraph.slice(10, 50)
    expect(phrase).toHaveLength(40)
    const find = (text: string): Promise<boolean> =>
      grace.page.evaluate(
        (t) =>
          (window as unknown as { find(s: string, cs: boolean, back: boolean): boolean }).find(
            t,
            true,
            true,
          ),
        text,
      )
    expect(await find(phrase)).toBe(true)
    // The match becomes the editor's selection, in the chunk now rendered around it.
    await waitFor('the match selected in the editor', async () => {
      return (await grace.selectedText()) === phrase
    })
    expect(await grace.page.evaluate(() => document.getSelection()?.toString())).toBe(phrase)
    expect((await placeholders()).some((text) => text.includes(paragraph))).toBe(false)
  })

  test('[BIND-7] chunks are rendered as they come on screen: scrolling to the middle of a book renders what it shows, and only that', async () => {
    // Twice automerge-paper: 2,346 paragraphs, 37 chunks.
    const book = scaledDoc(replayString(loadTrace('automerge-paper').patches), 2)
    const ada = await e2e.newPeer('ada')
    await ada.openHome()
    const link = freshLink(e2e.appUrl)
    await storeState(ada.page, docIdOf(link), book.state)
    await ada.openDoc(link)
    await ada.waitForText('her stored copy', (t) => t === book.text, 30_000)
    /** Chunks on screen that are still placeholders, and placeholders in all. */
    const shown = (): Promise<{ pending: number; onScreen: number; placeholders: number }> =>
      ada.page.evaluate(() => {
        const host = document.querySelector('.editor-host')
        if (!host) throw new Error('no editor host')
        const view = host.getBoundingClientRect()
        const chunks = Array.from(host.querySelectorAll('.editor-content > .chunk'))
        const onScreen = chunks.filter((chunk) => {
          const box = chunk.getBoundingClientRect()
          return box.bottom > view.top && box.top < view.bottom
        })
        return {
          pending: onScreen.filter((chunk) => chunk.classList.contains('chunk-placeholder')).length,
          onScreen: onScreen.length,
          placeholders: chunks.filter((chunk) => chunk.classList.contains('chunk-placeholder'))
            .length,
        }
      })
    const before = await shown()
    expect(before.placeholders).toBeGreaterThan(30)
    for (const at of [0.5, 0.52, 0.3]) {
      await ada.page.evaluate((fraction) => {
        const host = document.querySelector('.editor-host') as HTMLElement
        host.scrollTop = host.scrollHeight * fraction
      }, at)
      await waitFor(`the chunks on screen at ${at} of the book rendered`, async () => {
        const now = await shown()
        return now.onScreen > 0 && now.pending === 0
      })
    }
    // Rendered where the reader went, not everywhere: most chunks are still placeholders.
    expect((await shown()).placeholders).toBeGreaterThan(before.placeholders - 12)
    // What is on screen there is the book's text, as blocks, in order.
    const onScreen = await ada.page.evaluate(() => {
      const view = (document.querySelector('.editor-host') as HTMLElement).getBoundingClientRect()
      return Array.from(document.querySelectorAll('.editor-content > .chunk > *'))
        .filter((block) => {
          const box = block.getBoundingClientRect()
          return box.bottom > view.top && box.top < view.bottom
        })
        .map((block) => block.textContent ?? '')
    })
    expect(onScreen.length).toBeGreaterThan(3)
    expect(book.text.includes(onScreen.join('\n'))).toBe(true)
  })
})
