import type { Page } from 'playwright-core'
import * as Y from 'yjs'
import { createDoc } from '../../src/doc/model'
import { waitFor } from '../../test/helpers/wait-for'
import { docIdOf, editorText, freshLink, storeState, type AppRig } from './app'
import { paragraphReplayer } from './ydoc'
import type { Trace } from './trace'

// Opens the app on a document holding a trace replayed up to some keystroke. Replaying a quarter
// of a million keystrokes through the editor takes minutes; replaying them at the Yjs level in
// Node takes seconds and gives the same Yjs structure the editor binding writes (paragraphs of
// XmlText; the history of every keystroke as separate Yjs items and tombstones). That state is
// put into the document's IndexedDB in the app's storage layout, and the app opens it from there
// as it opens any stored document.

export interface Checkpoint {
  readonly at: number
  readonly state: Uint8Array
  readonly text: string
}

/** States of `trace` replayed up to each index in `points` (ascending), in one pass. */
export function checkpoints(trace: Trace, points: readonly number[]): Checkpoint[] {
  const doc = createDoc()
  const replayer = paragraphReplayer(doc)
  const out: Checkpoint[] = []
  let done = 0
  for (const at of points) {
    replayer.run(trace.patches, done, at)
    done = at
    out.push({ at, state: Y.encodeStateAsUpdate(doc), text: replayer.text() })
  }
  doc.destroy()
  return out
}

/**
 * A new person (browser context) opens a new document whose stored copy is `checkpoint`; resolves
 * once the editor shows its whole text, with the page and the document's id.
 */
export async function openCheckpoint(
  rig: AppRig,
  checkpoint: Pick<Checkpoint, 'state' | 'text'>,
): Promise<{ page: Page; docId: string; link: string }> {
  const { page } = await rig.person()
  await page.goto(`${rig.appUrl}/`)
  const link = freshLink(rig.appUrl)
  const docId = docIdOf(link)
  await storeState(page, docId, checkpoint.state)
  await page.goto(link)
  await page.getByTestId('editor').waitFor()
  await waitFor(
    'the editor shows the stored document',
    async () => {
      return (await editorText(page)) === checkpoint.text
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  )
  return { page, docId, link }
}
