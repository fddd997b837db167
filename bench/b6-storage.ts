// B6: IndexedDB bytes the app stores for the automerge-paper document after typing the end of
// the trace through the editor, and after 10 reopenings, against the Yjs V2-encoded state.
//
//   npx tsx bench/b6-storage.ts
//
// As in B2, the trace up to 2,100 keystrokes before its end is replayed in Node and stored as
// the document's one row (what the app's engine leaves after compacting); the app opens it and
// the last 2,100 keystrokes are dispatched through the editor, one transaction each, so the
// app's writer stores them as it would while someone types (one row per task, compacting after
// every 200 rows). Bytes = the sum of the byte lengths of every row of the `updates` store of
// `meshpad:doc:<docId>`, read once the status bar says `saved`. Then the page is reloaded ten
// times (each open compacts), reading the rows again after each. Baseline: the V2 encoding of the
// same document's state (Y.encodeStateAsUpdateV2 of all rows merged, in Node); the V1 size is
// given too, because the app stores V1 updates.
import * as Y from 'yjs'
import { editorText, readRows, waitSaved } from './lib/app'
import { startApp } from './lib/app'
import { loadOps, replayWindow } from './lib/editor-replay'
import { checkpoints, openCheckpoint } from './lib/open-at'
import { toPmOps } from './lib/paragraphs'
import { isMain, kb, runAlone, type Figure } from './lib/report'
import { loadTrace } from './lib/trace'

// Not a multiple of the writer's compaction interval (200 rows): some rows are still uncompacted.
const TYPED = 2_100
const REOPENS = 10

const total = (rows: readonly Uint8Array[]): number =>
  rows.reduce((sum, r) => sum + r.byteLength, 0)

export async function b6(): Promise<Figure> {
  const trace = loadTrace('automerge-paper')
  const n = trace.patches.length
  const [point] = checkpoints(trace, [n - TYPED])
  if (!point) throw new Error('B6: no checkpoint')
  const rig = await startApp()
  let afterTyping: Uint8Array[] = []
  const reopened: number[] = []
  let rowsAfter: number[] = []
  try {
    const { page, docId } = await openCheckpoint(rig, point)
    await loadOps(page, toPmOps(trace.patches))
    await replayWindow(page, { from: n - TYPED, to: n, mode: 'timed' })
    await waitSaved(page)
    afterTyping = await readRows(page, docId)
    for (let i = 0; i < REOPENS; i++) {
      await page.reload()
      await page.getByTestId('editor').waitFor()
      await page.waitForFunction(
        (length) => {
          const root = document.querySelector<
            Element & { editor?: { getText(o: object): string } }
          >('[data-testid=editor]')
          return root?.editor?.getText({ blockSeparator: '\n' }).length === length
        },
        trace.endContent.length,
        { timeout: 60_000 },
      )
      await waitSaved(page)
      const rows = await readRows(page, docId)
      reopened.push(total(rows))
      rowsAfter.push(rows.length)
    }
    if ((await editorText(page)) !== trace.endContent) throw new Error('B6: text does not match')
  } finally {
    await rig.close()
  }
  const doc = new Y.Doc()
  for (const row of afterTyping) Y.applyUpdate(doc, row)
  const v2 = Y.encodeStateAsUpdateV2(doc).byteLength
  const v1 = Y.encodeStateAsUpdate(doc).byteLength
  doc.destroy()
  const stored = total(afterTyping)
  const last = reopened[reopened.length - 1] ?? Number.NaN
  const grew = reopened.some((bytes, i) => i > 0 && bytes > (reopened[i - 1] as number))
  const worst = Math.max(stored, ...reopened)
  rowsAfter = rowsAfter.slice(-3)
  return {
    rows: [
      {
        id: 'B6',
        what: `IndexedDB bytes: after typing ${TYPED.toLocaleString('en')} keystrokes / after ${REOPENS} reopenings`,
        value: `${kb(stored)} (${afterTyping.length} rows) / ${kb(last)}`,
        baseline: `${kb(v2)} V2 state`,
        ratio: worst / v2,
        target: '≤ 2× state, no growth on reopen',
        met: worst <= 2 * v2 && !grew,
      },
    ],
    details: [
      '',
      `B6 detail: bytes after each reopening: ${reopened.map((b) => (b / 1000).toFixed(1)).join(', ')} KB ` +
        `(rows after the last three: ${rowsAfter.join(', ')}); the same state encoded V1 is ${kb(v1)} ` +
        `(${(v1 / v2).toFixed(2)}× V2): the app stores Yjs V1 updates, as y-indexeddb does.`,
    ],
  }
}

if (isMain(import.meta.url)) runAlone('B6', b6)
