// B2: the automerge-paper trace typed through the real Tiptap editor of the app in Chromium,
// median and p99 per keystroke as the document grows (10 %, 50 %, 100 % of the trace).
//
//   npx tsx bench/b2-editor.ts
//
// Sampling: for each size, the trace up to 1,000 keystrokes before that point is replayed fast at
// the Yjs level in Node (bench/lib/open-at.ts) and opened by the app from IndexedDB in a fresh
// browser profile; then the next 1,000 keystrokes are dispatched through the editor one
// ProseMirror transaction each (the path a key press takes after the DOM input handler:
// y-tiptap writes into the Y.Doc, the app's IndexedDB writer and y-webrtc observe it, the view
// updates the DOM). Each keystroke is timed from building its transaction to after a forced
// layout; a macrotask runs between keystrokes so the IndexedDB writes and timers of the app run
// as they would. Not included: input-event handling and paint. Baseline: B1's mean time per
// keystroke through the document model in Node.
import { startApp } from './lib/app'
import { loadOps, replayWindow } from './lib/editor-replay'
import { editorText } from './lib/app'
import { checkpoints, openCheckpoint } from './lib/open-at'
import { toPmOps } from './lib/paragraphs'
import { isMain, median, ms, percentile, runAlone, type Figure } from './lib/report'
import { loadTrace, replayString } from './lib/trace'

export const WINDOW = 1_000
const SIZES = [0.1, 0.5, 1] as const

export async function b2(baselinePerKeystrokeMs: number | null): Promise<Figure> {
  const trace = loadTrace('automerge-paper')
  const n = trace.patches.length
  const ends = SIZES.map((size) => Math.round(size * n))
  const starts = ends.map((end) => end - WINDOW)
  const points = checkpoints(trace, starts)
  const ops = toPmOps(trace.patches)
  const rig = await startApp()
  const lines: string[] = [
    '',
    'B2 detail (ms per keystroke; total = dispatch + forced style/layout):',
    '',
    '| size | keystrokes | text chars | total median | total p99 | total max | dispatch median | dispatch p99 |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ]
  let full: { median: number; p99: number } | null = null
  try {
    for (const [i, point] of points.entries()) {
      const end = ends[i] as number
      const { page } = await openCheckpoint(rig, point)
      await loadOps(page, ops)
      const times = await replayWindow(page, { from: point.at, to: end, mode: 'timed' })
      const expected = replayString(trace.patches.slice(0, end))
      if ((await editorText(page)) !== expected) {
        throw new Error(`B2: the editor's text after keystroke ${end} does not match the trace`)
      }
      await page.context().close()
      const size = SIZES[i] as number
      lines.push(
        `| ${size * 100} % | ${point.at.toLocaleString('en')}–${end.toLocaleString('en')} | ` +
          `${expected.length.toLocaleString('en')} | ${median(times.total).toFixed(2)} | ` +
          `${percentile(times.total, 99).toFixed(2)} | ${Math.max(...times.total).toFixed(1)} | ` +
          `${median(times.dispatch).toFixed(2)} | ${percentile(times.dispatch, 99).toFixed(2)} |`,
      )
      if (size === 1) full = { median: median(times.total), p99: percentile(times.total, 99) }
    }
  } finally {
    await rig.close()
  }
  if (full === null) throw new Error('B2: no full-size window')
  return {
    rows: [
      {
        id: 'B2',
        what: 'Tiptap editor in Chromium, per keystroke at full size (last 1,000 keystrokes)',
        value: `p99 ${ms(full.p99)}, median ${ms(full.median, 2)}`,
        baseline:
          baselinePerKeystrokeMs === null
            ? 'B1 (run bench/run.ts)'
            : `${ms(baselinePerKeystrokeMs, 3)} B1 mean/edit`,
        ratio: baselinePerKeystrokeMs === null ? null : full.median / baselinePerKeystrokeMs,
        target: 'p99 ≤ 16 ms at full size',
        met: full.p99 <= 16,
      },
    ],
    details: [
      ...lines,
      '',
      'B2 ratio = editor median per keystroke / B1 mean per edit (Yjs model only, Node).',
    ],
  }
}

if (isMain(import.meta.url)) runAlone('B2', () => b2(null))
