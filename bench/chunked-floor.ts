// Issue 12's hypothesis measured at the floor: "book-length documents need the editor's DOM
// chunked (blocks grouped under nested containers)". Plain Tiptap without Yjs, flat (the floor
// of bench/scale.ts, bench/floor/floor-editor.ts) beside the same paragraphs grouped into
// top-level chunks (bench/floor/chunked-floor-editor.ts: `doc: chunk+`, `chunk: block+`), in
// the same page of the app and the same run.
//
//   npx tsx bench/chunked-floor.ts       (BENCH_SCALE=1,5,20 chooses the sizes; not in run.ts)
//
// For each size (bench/lib/scaled-doc.ts) and each variant, in a fresh page of the app:
// - open: `new Editor({ content })` until laid out, median of scale.ts's OPENS;
// - end: KEYSTROKES characters typed at the end of the last paragraph, caret there, one
//   transaction each, dispatch to forced layout (scale.ts's `typeTimed`, as its floor B2);
// - middle: the same with the caret at the end of the middle paragraph, scrolled into view;
// - remote-like: REMOTE_EDITS transactions each inserting one character at the end of the last
//   paragraph, the caret left in the middle paragraph (no focus, no selection change), dispatch to
//   forced layout.
// Each keystroke's time until `dispatch` returned (ProseMirror, Tiptap and the DOM writes, no
// layout) is printed beside: the rest is the browser's style and layout.
import type { Page } from 'playwright-core'
import type { ChunkOptions } from './floor/chunked-floor-editor'
import { startApp } from './lib/app'
import { CHUNKED_FLOOR, FLAT_FLOOR } from './lib/page-floor'
import { isMain, median, percentile, runAlone, type Figure, type Row } from './lib/report'
import { scaledDoc, type ScaledDoc } from './lib/scaled-doc'
import { loadTrace, replayString } from './lib/trace'
import {
  factors,
  floorPage,
  KEYSTROKES,
  OPENS,
  openFloor,
  pq,
  REMOTE_EDITS,
  typeTimed,
  type Keystrokes,
} from './scale'

const SELECTOR = '[data-testid=floor-editor]'

interface Variant {
  readonly name: string
  /** null: the flat floor. */
  readonly chunks: ChunkOptions | null
}

const VARIANTS: readonly Variant[] = [
  { name: 'flat', chunks: null },
  { name: 'chunked-32', chunks: { chunkSize: 32, visibility: 'auto' } },
  { name: 'chunked-64', chunks: { chunkSize: 64, visibility: 'auto' } },
  { name: 'chunked-128', chunks: { chunkSize: 128, visibility: 'auto' } },
  { name: 'chunked-64, no c-v', chunks: { chunkSize: 64, visibility: 'visible' } },
]

/** The scaled document's paragraphs grouped `size` to a chunk. */
function chunkedJson(doc: ScaledDoc, size: number): object {
  const blocks = (doc.json as { content: object[] }).content
  const content: object[] = []
  for (let i = 0; i < blocks.length; i += size)
    content.push({ type: 'chunk', content: blocks.slice(i, i + size) })
  return { type: 'doc', content }
}

/**
 * `n` transactions inserting 'x' at the end of the last textblock, dispatched as a remote change
 * arrives: the selection (wherever it is) is only mapped, the editor not focused.
 */
async function remoteLike(page: Page, n: number): Promise<Keystrokes> {
  return page.evaluate(
    async ({ selector, n }) => {
      interface PmNode {
        isTextblock: boolean
        nodeSize: number
        descendants(f: (node: PmNode, pos: number) => boolean): void
      }
      interface Ed {
        state: { doc: PmNode }
        view: {
          state: { tr: { insertText(t: string, from: number): unknown } }
          dispatch(tr: unknown): void
        }
      }
      const editor = (document.querySelector(selector) as unknown as { editor?: Ed }).editor
      if (!editor) throw new Error(`no editor at ${selector}`)
      let end = -1
      editor.state.doc.descendants((node, pos) => {
        if (node.isTextblock) end = pos + node.nodeSize - 1
        return !node.isTextblock
      })
      const total: number[] = []
      const dispatch: number[] = []
      for (let i = 0; i < n; i++) {
        const started = performance.now()
        editor.view.dispatch(editor.view.state.tr.insertText('x', end + i))
        const dispatched = performance.now()
        void document.documentElement.offsetHeight
        const laidOut = performance.now()
        total.push(laidOut - started)
        dispatch.push(dispatched - started)
        await new Promise((resolve) => setTimeout(resolve, 0))
      }
      return { total, dispatch }
    },
    { selector: SELECTOR, n },
  )
}

/** Checks that the edits went where they were meant to: the middle and the last paragraph. */
async function checkEdits(page: Page, middle: number, last: number): Promise<void> {
  const ok = await page.evaluate(
    ({ selector, middle, last }) => {
      interface PmNode {
        isTextblock: boolean
        textContent: string
        descendants(f: (node: PmNode) => boolean): void
      }
      const editor = (
        document.querySelector(selector) as unknown as { editor?: { state: { doc: PmNode } } }
      ).editor
      const texts: string[] = []
      editor?.state.doc.descendants((node) => {
        if (node.isTextblock) texts.push(node.textContent)
        return !node.isTextblock
      })
      const mid = texts[Math.floor(texts.length / 2)] ?? ''
      const end = texts[texts.length - 1] ?? ''
      return mid.endsWith('x'.repeat(middle)) && end.endsWith('x'.repeat(last))
    },
    { selector: SELECTOR, middle, last },
  )
  if (!ok) throw new Error('the edits did not land at the end of the middle and last paragraph')
}

interface Figures {
  open: number
  end: Keystrokes
  middle: Keystrokes
  remote: Keystrokes
}

const p50 = (values: readonly number[]): number => percentile(values, 50)
const p99 = (values: readonly number[]): number => percentile(values, 99)
const cell = (k: Keystrokes): string =>
  `${p50(k.total).toFixed(1)} / ${p99(k.total).toFixed(1)} (${p50(k.dispatch).toFixed(1)})`

export async function chunkedFloor(): Promise<Figure> {
  const base = replayString(loadTrace('automerge-paper').patches)
  const rows: Row[] = []
  const details = [
    '',
    'Flat and chunked floors (bench/chunked-floor.ts), ms; keystroke cells are p50 / p99 (p50 until dispatch returned, before layout):',
    '',
    '| size | variant | top-level nodes | open | keystroke at end | remote-like at end | keystroke in middle |',
    '|---|---|---:|---:|---:|---:|---:|',
  ]
  const rig = await startApp()
  try {
    for (const factor of factors()) {
      const doc = scaledDoc(base, factor)
      let flat: Figures | null = null
      for (const variant of VARIANTS) {
        const { page, context } = await floorPage(rig, variant.chunks ? CHUNKED_FLOOR : FLAT_FLOOR)
        const json = variant.chunks ? chunkedJson(doc, variant.chunks.chunkSize) : doc.json
        const opens: number[] = []
        for (let i = 0; i < OPENS; i++)
          opens.push(await openFloor(page, json, variant.chunks ?? undefined))
        const end = await typeTimed(page, SELECTOR, KEYSTROKES, 'end')
        const middle = await typeTimed(page, SELECTOR, KEYSTROKES, 'middle')
        const remote = await remoteLike(page, REMOTE_EDITS)
        await checkEdits(page, KEYSTROKES, KEYSTROKES + REMOTE_EDITS)
        await context.close()
        const figures: Figures = { open: median(opens), end, middle, remote }
        const topLevel = variant.chunks
          ? Math.ceil(doc.paragraphs / variant.chunks.chunkSize)
          : doc.paragraphs
        details.push(
          `| x${factor} | ${variant.name} | ${topLevel.toLocaleString('en')} | ${figures.open.toFixed(0)} | ` +
            `${cell(end)} | ${cell(remote)} | ${cell(middle)} |`,
        )
        console.error(`[bench] x${factor} ${variant.name}: ${details[details.length - 1]}`)
        if (!flat) {
          flat = figures
          continue
        }
        rows.push({
          id: 'B2 floor',
          what: `keystroke at the end, ${variant.name}, x${factor} (${doc.paragraphs.toLocaleString('en')} paragraphs)`,
          value: pq(end.total),
          baseline: `${pq(flat.end.total)} flat`,
          ratio: p50(end.total) / p50(flat.end.total),
          target: 'p99 ≤ 16 ms',
          met: p99(end.total) <= 16,
        })
      }
    }
  } finally {
    await rig.close()
  }
  details.push(
    '',
    'c-v: `content-visibility: auto` on the chunks with a window of chunks around the caret; "no c-v": every chunk laid out, `contain: layout style`.',
  )
  return { rows, details }
}

if (isMain(import.meta.url)) runAlone('chunked-floor', chunkedFloor)
