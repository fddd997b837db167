// B3: a new peer joins and receives the whole document, between two Chromium peers (each its own
// browser context) over WebRTC, signaled by the real server: automerge-paper, seph-blog1 and a
// synthetic 20 MB state; against a raw RTCDataChannel between two pages sending the same number
// of bytes in 16 KiB pieces.
//
//   npx tsx bench/b3-join.ts
//
// Peer A holds the document: its state (the trace replayed keystroke by keystroke in Node, as
// paragraphs; or, for "20 MB", a 20,000,000-byte binary value in a top-level Y.Map of the doc that
// the editor does not render) is stored in A's IndexedDB in the app's layout and A opens it, then
// sits for 1 s. Peer B then opens the link in a fresh profile, three times (a fresh B each time,
// the median is the figure). Measured in B's page: from the moment its first WebRTC data channel
// to A opens (B's RTCPeerConnection is instrumented in the page) to the moment its document is
// complete (the editor holds the whole text; for 20 MB, the binary value has arrived). That covers
// sync step 1/2, A encoding its state, the chunked transfer, B applying it and rendering the
// editor. The join total (from B's navigation start) is in the detail. Baseline: the raw channel's
// time from first send to last byte received for the state's V1 byte length.
import type { Page } from 'playwright-core'
import * as Y from 'yjs'
import { createDoc } from '../src/doc/model'
import { docIdOf, editorHasSize, freshLink, startApp, storeState, type AppRig } from './lib/app'
import { openRawPair, rawTransfer } from './lib/raw-channel'
import { isMain, kb, median, ms, runAlone, type Figure, type Row } from './lib/report'
import { loadTrace } from './lib/trace'
import { traceState } from './lib/ydoc'

const SYNTHETIC_BYTES = 20_000_000

interface Case {
  readonly name: string
  readonly state: Uint8Array
  /** ProseMirror content size when complete, or null for the synthetic state. */
  readonly size: number | null
}

function cases(): Case[] {
  const out: Case[] = []
  for (const name of ['automerge-paper', 'seph-blog1']) {
    const { state, text, paragraphs } = traceState(loadTrace(name))
    out.push({ name, state, size: text.length + paragraphs + 1 })
  }
  const doc = createDoc()
  const blob = new Uint8Array(SYNTHETIC_BYTES)
  for (let i = 0; i < blob.length; i += 4096) blob[i] = i & 0xff
  doc.getMap('bench').set('blob', blob)
  out.push({ name: 'synthetic 20 MB', state: Y.encodeStateAsUpdate(doc), size: null })
  doc.destroy()
  return out
}

interface JoinProbe {
  __mpPeerAt?: number
  __mpDoneAt?: number
}

/**
 * In B's page before the app loads: records when B's first WebRTC data channel opens (the
 * browser's RTCPeerConnection, which the app wraps in its chunked transport, is instrumented:
 * nothing of the app is touched) and when the document is whole.
 */
function probeJoin(target: { size: number | null; blob: number }): void {
  const g = globalThis as unknown as JoinProbe & { RTCPeerConnection: typeof RTCPeerConnection }
  const now = (): number => performance.timeOrigin + performance.now()
  const opened = (): void => {
    g.__mpPeerAt ??= now()
  }
  const Base = g.RTCPeerConnection
  class Instrumented extends Base {
    constructor(config?: RTCConfiguration) {
      super(config)
      this.addEventListener('datachannel', (event) => {
        event.channel.addEventListener('open', opened)
      })
    }
    override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
      const channel = super.createDataChannel(label, init)
      channel.addEventListener('open', opened)
      return channel
    }
  }
  g.RTCPeerConnection = Instrumented
  const tick = (): void => {
    const root = document.querySelector<
      Element & {
        editor?: {
          state: {
            doc: {
              content: { size: number }
              childCount: number
              firstChild: { type: { name: string } } | null
            }
          }
          extensionManager: {
            extensions: {
              name: string
              options: { fragment?: { doc: { getMap(n: string): Map<string, unknown> } } }
            }[]
          }
        }
      }
    >('[data-testid=editor]')
    const editor = root?.editor
    if (editor && g.__mpDoneAt === undefined) {
      if (target.size !== null) {
        // The size of the flat document: the editor groups its blocks under chunks (2 tokens each).
        const doc = editor.state.doc
        if (
          doc.content.size - (doc.firstChild?.type.name === 'chunk' ? 2 * doc.childCount : 0) ===
          target.size
        )
          g.__mpDoneAt = now()
      } else {
        const collab = editor.extensionManager.extensions.find((e) => e.name === 'collaboration')
        const blob = collab?.options.fragment?.doc.getMap('bench').get('blob') as
          Uint8Array | undefined
        if (blob?.byteLength === target.blob) g.__mpDoneAt = now()
      }
    }
    if (g.__mpDoneAt === undefined) requestAnimationFrame(tick)
  }
  requestAnimationFrame(tick)
}

async function waitProbe(page: Page): Promise<Required<JoinProbe>> {
  const handle = await page.waitForFunction(
    () => {
      const g = globalThis as unknown as JoinProbe
      return g.__mpDoneAt !== undefined && g.__mpPeerAt !== undefined
        ? { __mpPeerAt: g.__mpPeerAt, __mpDoneAt: g.__mpDoneAt }
        : null
    },
    undefined,
    { timeout: 120_000 },
  )
  return (await handle.jsonValue()) as Required<JoinProbe>
}

/** Joins per case; the median is the figure (one join alone varied by ±40 % run to run). */
const JOINS = 3

async function meshpadJoins(
  rig: AppRig,
  item: Case,
): Promise<{ transfer: number; total: number }[]> {
  const a = await rig.person()
  await a.page.goto(`${rig.appUrl}/`)
  const link = freshLink(rig.appUrl)
  await storeState(a.page, docIdOf(link), item.state)
  await a.page.goto(link)
  await a.page.getByTestId('editor').waitFor()
  if (item.size !== null) {
    await a.page.waitForFunction(editorHasSize, item.size, { timeout: 60_000 })
  }
  // A peer that holds a document has usually had it open for a while: let A finish what opening
  // it started (storage compaction, first paint) so B's figure is not A's start-up.
  await a.page.waitForTimeout(1_000)
  const joins: { transfer: number; total: number }[] = []
  try {
    for (let i = 0; i < JOINS; i++) {
      const b = await rig.person()
      await b.context.addInitScript(probeJoin, { size: item.size, blob: SYNTHETIC_BYTES })
      await b.page.goto(link)
      const probe = await waitProbe(b.page)
      const origin = await b.page.evaluate(() => performance.timeOrigin)
      await b.context.close()
      joins.push({
        transfer: probe.__mpDoneAt - probe.__mpPeerAt,
        total: probe.__mpDoneAt - origin,
      })
      // Let A notice B left before the next B arrives.
      await a.page.waitForTimeout(500)
    }
  } finally {
    await a.context.close()
  }
  return joins
}

export async function b3(): Promise<Figure> {
  const all = cases()
  const rig = await startApp()
  const rows: Row[] = []
  const lines = [
    '',
    `B3 detail (ms; Meshpad = B data channel open to document complete in B, ${JOINS} joins of a fresh B to the same A, median first; join = B navigation start to complete):`,
    '',
    '| document | V1 state | raw channel | Meshpad | join total |',
    '|---|---:|---:|---:|---:|',
  ]
  try {
    const raw = await openRawPair(rig)
    for (const item of all) {
      const rawTimes = [
        await rawTransfer(raw, item.state.byteLength),
        await rawTransfer(raw, item.state.byteLength),
        await rawTransfer(raw, item.state.byteLength),
      ]
      const rawMs = median(rawTimes)
      const joins = await meshpadJoins(rig, item)
      const transfer = median(joins.map((j) => j.transfer))
      const joined = { transfer, total: median(joins.map((j) => j.total)) }
      const ratio = joined.transfer / rawMs
      const list = (values: number[]): string => values.map((v) => v.toFixed(0)).join(', ')
      lines.push(
        `| ${item.name} | ${kb(item.state.byteLength)} | ${list(rawTimes)} | ` +
          `${joined.transfer.toFixed(0)} (${list(joins.map((j) => j.transfer))}) | ${joined.total.toFixed(0)} |`,
      )
      rows.push({
        id: 'B3',
        what: `new peer receives ${item.name} (${kb(item.state.byteLength)})`,
        value: ms(joined.transfer, 0),
        baseline: `${ms(rawMs, 0)} raw channel`,
        ratio,
        target: '≤ 2× raw; no size fails',
        met: ratio <= 2,
      })
    }
  } finally {
    await rig.close()
  }
  return { rows, details: lines }
}

if (isMain(import.meta.url)) runAlone('B3', b3)
