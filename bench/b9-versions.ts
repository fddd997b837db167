// B9: what versions cost (rule VERSION-3). The automerge-paper trace is replayed keystroke by
// keystroke into a Meshpad document (paragraphs, as the editor stores it) with a version saved
// every 1,000 edits (260 versions), as src/doc/versions.ts keeps them: inside the document, each
// holding only the structs and deletions since the one before, with gc on.
//
//   npx tsx bench/b9-versions.ts
//
// Rows: the bytes the versions keep, against the same run's V2 state of the document without
// versions (the baseline: what a document costs at all); and the time to rebuild the oldest and
// the newest version, against Y.applyUpdate of the whole state. Every version is also checked to
// rebuild to the exact text it was saved with (a figure that lies is worse than none).
import * as Y from 'yjs'
import { createDoc } from '../src/doc/model'
import { listVersions, saveVersion, versionDoc } from '../src/doc/versions'
import { isMain, kb, median, ms, runAlone, type Figure } from './lib/report'
import { loadTrace } from './lib/trace'
import { bodyText, paragraphReplayer } from './lib/ydoc'

const EVERY = 1_000

export async function b9(): Promise<Figure> {
  await Promise.resolve()
  const trace = loadTrace('automerge-paper')
  const doc = createDoc()
  const plain = createDoc()
  const replay = paragraphReplayer(doc)
  const replayPlain = paragraphReplayer(plain)
  const expected = new Map<string, string>()
  for (let from = 0; from < trace.patches.length; from += EVERY) {
    const to = Math.min(trace.patches.length, from + EVERY)
    replay.run(trace.patches, from, to)
    replayPlain.run(trace.patches, from, to)
    if (to - from === EVERY) {
      expected.set(saveVersion(doc, { kind: 'auto', at: to }).id, replay.text())
    }
  }
  const versions = listVersions(doc)
  const kept = versions.reduce((sum, version) => sum + version.size, 0)
  const plainV2 = Y.encodeStateAsUpdateV2(plain).byteLength
  const withV2 = Y.encodeStateAsUpdateV2(doc).byteLength
  let wrong = 0
  for (const [id, text] of expected) {
    const rebuilt = versionDoc(doc, id)
    if (!rebuilt || bodyText(rebuilt) !== text) wrong += 1
    rebuilt?.destroy()
  }
  const time = (run: () => void): number => {
    const samples: number[] = []
    for (let i = 0; i < 5; i += 1) {
      const start = performance.now()
      run()
      samples.push(performance.now() - start)
    }
    return median(samples)
  }
  const oldest = versions[versions.length - 1]!.id
  const newest = versions[0]!.id
  const state = Y.encodeStateAsUpdate(plain)
  const load = time(() => Y.applyUpdate(new Y.Doc(), state))
  const rebuildOldest = time(() => versionDoc(doc, oldest)?.destroy())
  const rebuildNewest = time(() => versionDoc(doc, newest)?.destroy())
  doc.destroy()
  plain.destroy()
  return {
    rows: [
      {
        id: 'B9',
        what: `versions kept for automerge-paper, one every ${EVERY.toLocaleString('en')} edits (${versions.length})`,
        value: `${kb(kept)} (document with them: ${kb(withV2)} V2)`,
        baseline: `${kb(plainV2)} V2 state without`,
        ratio: kept / plainV2,
        target: 'reported (no gc:false)',
        met: wrong === 0 ? null : false,
        ...(wrong > 0 ? { note: `${wrong} versions did not rebuild exactly` } : {}),
      },
      {
        id: 'B9',
        what: 'rebuild the newest / the oldest version',
        value: `${ms(rebuildNewest)} / ${ms(rebuildOldest)}`,
        baseline: `${ms(load)} Y.applyUpdate of the state`,
        ratio: rebuildNewest / load,
        target: 'reported',
        met: null,
      },
    ],
    details: [
      '',
      `B9 detail: ${versions.length} versions, every one rebuilt to the exact text it was saved ` +
        `with: ${wrong === 0 ? 'yes' : `no (${wrong} wrong)`}. Bytes per version: ` +
        `${kb(kept / versions.length)} on average.`,
    ],
  }
}

if (isMain(import.meta.url)) runAlone('B9', b9)
