// Two people, each in their own browser profile, on the automerge-paper document: its state is
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
import { loadTrace } from '../../bench/lib/trace'
import { traceState } from '../../bench/lib/ydoc'
import { useE2E } from './helpers/harness'

const e2e = useE2E()

/** Chromium's `a=max-message-size`. */
const CHROMIUM_MAX_MESSAGE = 262_144

describe('large documents between two browser profiles', () => {
  test('LARGE-1 CHUNK-1 a document larger than 256 KiB reaches a new Chromium peer', async () => {
    const trace = loadTrace('automerge-paper')
    const { state, text } = traceState(trace)
    expect(text).toBe(trace.endContent)
    expect(state.byteLength).toBeGreaterThan(CHROMIUM_MAX_MESSAGE)

    const ada = await e2e.newPeer('ada')
    await ada.openHome()
    const link = freshLink(e2e.appUrl)
    await storeState(ada.page, docIdOf(link), state)
    await ada.openDoc(link)
    await ada.waitForText('her stored copy', (t) => t === trace.endContent, 30_000)

    // Grace has nothing: everything she ends with came over WebRTC from Ada.
    const grace = await e2e.newPeer('grace')
    await grace.openDoc(link)
    await grace.waitForText('the whole document from Ada', (t) => t === trace.endContent, 45_000)
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
  })
})
