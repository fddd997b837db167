// B1: the automerge-paper trace replayed keystroke by keystroke through Meshpad's document
// model, against raw Yjs Y.Text replaying the same trace, in this Node process.
//
//   npx tsx bench/b1-replay.ts
//
// "Meshpad's document model" here is what the editor binding stores: the `body` Y.XmlFragment
// (src/doc/model.ts) holding a Y.XmlElement('paragraph') whose Y.XmlText receives every
// insert/delete. The trace's '\n' stay characters inside that one paragraph, so both runs do the
// same Yjs list operations; the difference measured is nesting (a text two levels down, whose
// changes bubble to deep observers of the fragment) and the XmlText type. One Yjs transaction
// per edit, with an `update` listener collecting every update as the app's persistence does,
// in both runs. It does not measure the editor (B2) or the paragraph splitting the editor does;
// a third, informational run replays the trace as paragraphs (a '\n' splits a paragraph).
import * as Y from 'yjs'
import { bodyOf, createDoc } from '../src/doc/model'
import { median, ms, runAlone, isMain, type Figure } from './lib/report'
import { loadTrace, type Patch } from './lib/trace'
import { bodyText, replayParagraphs } from './lib/ydoc'

const REPS = 2

interface Run {
  readonly ms: number
  readonly updates: number
  readonly text: string
}

function withUpdateListener(doc: Y.Doc): { count(): number } {
  let updates = 0
  const pending: Uint8Array[] = []
  doc.on('update', (update: Uint8Array) => {
    updates += 1
    pending.push(update)
    // The app's writer hands each task's updates to IndexedDB and lets go of them.
    if (pending.length > 1000) pending.length = 0
  })
  return { count: () => updates }
}

function rawYText(patches: readonly Patch[]): Run {
  const doc = new Y.Doc()
  const listener = withUpdateListener(doc)
  const text = doc.getText('text')
  const started = performance.now()
  for (const [pos, del, ins] of patches) {
    doc.transact(() => {
      if (del > 0) text.delete(pos, del)
      if (ins !== '') text.insert(pos, ins)
    })
  }
  const elapsed = performance.now() - started
  const result = { ms: elapsed, updates: listener.count(), text: text.toString() }
  doc.destroy()
  return result
}

function meshpadModel(patches: readonly Patch[]): Run {
  const doc = createDoc()
  const listener = withUpdateListener(doc)
  const body = bodyOf(doc)
  const paragraph = new Y.XmlElement('paragraph')
  const text = new Y.XmlText()
  doc.transact(() => {
    paragraph.insert(0, [text])
    body.insert(0, [paragraph])
  })
  const started = performance.now()
  for (const [pos, del, ins] of patches) {
    doc.transact(() => {
      if (del > 0) text.delete(pos, del)
      if (ins !== '') text.insert(pos, ins)
    })
  }
  const elapsed = performance.now() - started
  const result = { ms: elapsed, updates: listener.count() - 1, text: String(text.toString()) }
  doc.destroy()
  return result
}

function paragraphs(patches: readonly Patch[]): Run {
  const doc = createDoc()
  const listener = withUpdateListener(doc)
  const started = performance.now()
  replayParagraphs(doc, patches)
  const elapsed = performance.now() - started
  const result = { ms: elapsed, updates: listener.count() - 1, text: bodyText(doc) }
  doc.destroy()
  return result
}

export interface B1Result extends Figure {
  /** Mean time per keystroke through the document model (ms): B2's baseline. */
  readonly perKeystrokeMs: number
}

export function b1(): Promise<B1Result> {
  const trace = loadTrace('automerge-paper')
  const raw: number[] = []
  const model: number[] = []
  // Alternate, so that load drifting on a shared machine hits both alike.
  for (let rep = 0; rep < REPS; rep++) {
    for (const [run, into] of [
      [rawYText, raw],
      [meshpadModel, model],
    ] as const) {
      const result = run(trace.patches)
      if (result.text !== trace.endContent) throw new Error(`${run.name}: text does not match`)
      into.push(result.ms)
    }
  }
  const para = paragraphs(trace.patches)
  if (para.text !== trace.endContent) throw new Error('paragraph replay: text does not match')
  const rawMs = Math.min(...raw)
  const modelMs = Math.min(...model)
  const ratio = modelMs / rawMs
  const edits = trace.patches.length
  return Promise.resolve({
    perKeystrokeMs: modelMs / edits,
    rows: [
      {
        id: 'B1',
        what: `automerge-paper, ${edits.toLocaleString('en')} edits, one transaction each, through body/paragraph/XmlText`,
        value: `${ms(modelMs, 0)} (${((modelMs / edits) * 1000).toFixed(1)} µs/edit)`,
        baseline: `${ms(rawMs, 0)} raw Y.Text`,
        ratio,
        target: '≤ 1.5× raw Yjs',
        met: ratio <= 1.5,
      },
    ],
    details: [
      '',
      `B1 detail: best of ${REPS} alternating runs each; raw Y.Text ${raw.map((v) => ms(v, 0)).join(', ')}; ` +
        `Meshpad model ${model.map((v) => ms(v, 0)).join(', ')} (median ${ms(median(model), 0)}). ` +
        `Informational: the same trace as paragraphs (a '\\n' splits a Y.XmlElement paragraph, as the ` +
        `editor stores it) ${ms(para.ms, 0)}, ${(para.ms / rawMs).toFixed(2)}× raw.`,
    ],
  })
}

if (isMain(import.meta.url)) runAlone('B1', b1)
