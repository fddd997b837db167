// B10: what the gate costs (issue 10, rules GATE-1..6, PRESENCE-1). Since the gate, every change
// between peers is a sealed entry (XChaCha20-Poly1305, then an Ed25519 signature with the
// document's write key) that every receiving peer checks before applying, and every presence
// message is signed with a session key. This figure prices those steps per entry.
//
//   npx tsx bench/b10-gate.ts [--browser false]
//
// Inputs, from the automerge-paper trace replayed as paragraphs (bench/lib/ydoc.ts):
// - keystroke: the Yjs updates of the trace's last 1,000 keystrokes (one transaction each, about
//   20 bytes), in a document of full size, as the gate seals them (payload `update-v1`);
// - snapshot: the whole document's Y.encodeStateAsUpdate (what an editor seals for a peer that
//   joins empty), and x5: five replays of the trace by five clients merged into one document.
//
// Rows (p50 / p99 µs per entry, in Node unless said): seal (encrypt + sign, `sealEntryAsync`) and
// open (verify + decrypt, `openEntryAsync`) with WebCrypto's Ed25519 (`ed25519Engine()`, what the
// app uses) and with noble's (`nobleEd25519`, its fallback), the signature alone, and a presence
// message signed and verified. Baseline, same run, same bytes: what a peer did before the gate,
// unsigned: the keystroke's own Yjs transaction (update encoding included) and Y.applyUpdate of it
// into a replica; for a snapshot, Y.encodeStateAsUpdate and Y.applyUpdate into an empty document.
// Then the same in Chromium (the app's engine is the page's WebCrypto; a bundle of src/sync/gate
// served from 127.0.0.1 with cross-origin isolation, so that performance.now() resolves 5 µs, not
// 100 µs). Every opened entry is checked to give back its payload byte for byte.
import { createServer, type Server } from 'node:http'
import { parseArgs } from 'node:util'
import type { AddressInfo } from 'node:net'
import * as Y from 'yjs'
import { createDoc } from '../src/doc/model'
import { NO_PARENT } from '../src/protocol/entry'
import { deriveDocKeys, type DocKeys } from '../src/share/keys'
import { newDocAddress } from '../src/share/link'
import { encodePayload } from '../src/sync/always-on/payload'
import { ed25519Engine, nobleEd25519, type AsyncEd25519 } from '../src/sync/gate/ed25519'
import { parsePresence, signPresence, verifyPresence } from '../src/sync/gate/presence-codec'
import { openEntryAsync, sealEntryAsync } from '../src/sync/gate/seal'
import { launchChromium } from '../test/e2e/helpers/chromium'
import { KEEP_NAMES_SHIM } from './lib/app'
import { isMain, percentile, runAlone, type Figure, type Row } from './lib/report'
import { installInPage } from './lib/page-bundle'
import { loadTrace, type Trace } from './lib/trace'
import { paragraphReplayer } from './lib/ydoc'

const KEYSTROKES = 1_000
const SNAPSHOT_REPS = 15
const SNAPSHOT_X5_REPS = 5
const PRESENCE_REPS = 500
/** noble's verify takes milliseconds: fewer keystrokes for it. */
const NOBLE_KEYSTROKES = 300
const MAX_ENTRY = 1 << 30
const HEADER = { kind: 'update', parent: NO_PARENT, covers: 0 } as const

interface Inputs {
  /** The document just before the keystrokes (what the replicas start from). */
  readonly beforeState: Uint8Array
  readonly keystrokes: Uint8Array[]
  readonly keystrokeLocalUs: number[]
  readonly keystrokeApplyUs: number[]
  readonly snapshots: { label: string; state: Uint8Array; encodeUs: number[]; applyUs: number[] }[]
}

const us = (start: number): number => (performance.now() - start) * 1000
const fmt = (v: number): string =>
  v >= 1000 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)

const p50p99 = (s: readonly number[]): string =>
  `${fmt(percentile(s, 50))} / ${fmt(percentile(s, 99))} µs`

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function timeMany(reps: number, run: () => void): number[] {
  const out: number[] = []
  for (let i = 0; i < reps; i++) {
    const start = performance.now()
    run()
    out.push(us(start))
  }
  return out
}

function inputs(trace: Trace): Inputs {
  const n = trace.patches.length
  const doc = createDoc()
  const replay = paragraphReplayer(doc)
  replay.run(trace.patches, 0, n - KEYSTROKES)
  const beforeState = Y.encodeStateAsUpdate(doc)
  const replica = new Y.Doc()
  Y.applyUpdate(replica, beforeState)
  const keystrokes: Uint8Array[] = []
  const keystrokeLocalUs: number[] = []
  doc.on('update', (update: Uint8Array) => keystrokes.push(update))
  for (let i = n - KEYSTROKES; i < n; i++) {
    const start = performance.now()
    replay.run(trace.patches, i, i + 1)
    keystrokeLocalUs.push(us(start))
  }
  const keystrokeApplyUs = keystrokes.map((update) => {
    const start = performance.now()
    Y.applyUpdate(replica, update)
    return us(start)
  })
  if (!equal(Y.encodeStateVector(replica), Y.encodeStateVector(doc))) {
    throw new Error('B10: the replica did not converge on the keystrokes')
  }
  replica.destroy()
  // x5: five clients each replay the whole trace; merged, the body holds five copies.
  const x5 = new Y.Doc()
  Y.applyUpdate(x5, Y.encodeStateAsUpdate(doc))
  for (let copy = 1; copy < 5; copy++) {
    const other = createDoc()
    paragraphReplayer(other).run(trace.patches, 0, n)
    Y.applyUpdate(x5, Y.encodeStateAsUpdate(other))
    other.destroy()
  }
  const snapshots = [
    { label: 'snapshot', from: doc, reps: SNAPSHOT_REPS },
    { label: 'snapshot x5', from: x5, reps: SNAPSHOT_X5_REPS },
  ].map(({ label, from, reps }) => {
    const encodeUs = timeMany(reps, () => Y.encodeStateAsUpdate(from))
    const state = Y.encodeStateAsUpdate(from)
    const applyUs = timeMany(reps, () => Y.applyUpdate(new Y.Doc({ gc: true }), state))
    return { label, state, encodeUs, applyUs }
  })
  doc.destroy()
  x5.destroy()
  return { beforeState, keystrokes, keystrokeLocalUs, keystrokeApplyUs, snapshots }
}

interface Costs {
  seal: number[]
  open: number[]
  sign: number[]
  verify: number[]
  entryBytes: number
}

/** Seals every payload, then opens every entry, one at a time (as a peer awaits each). */
async function costs(
  engine: AsyncEd25519,
  keys: DocKeys,
  payloads: readonly Uint8Array[],
): Promise<Costs> {
  const seal: number[] = []
  const open: number[] = []
  const sign: number[] = []
  const verify: number[] = []
  const entries: Uint8Array[] = []
  for (const update of payloads) {
    const start = performance.now()
    entries.push(
      await sealEntryAsync(engine, keys, HEADER, encodePayload({ type: 'update-v1', update })),
    )
    seal.push(us(start))
  }
  for (const [i, entry] of entries.entries()) {
    const start = performance.now()
    const opened = await openEntryAsync(engine, keys, entry, MAX_ENTRY)
    open.push(us(start))
    const expected = encodePayload({ type: 'update-v1', update: payloads[i] as Uint8Array })
    if (!opened.ok || !equal(opened.value.payload, expected)) {
      throw new Error(
        `B10: an entry did not open to its payload (${opened.ok ? 'bytes' : opened.reason})`,
      )
    }
  }
  // The signature alone, over the bytes an entry's signature covers (same lengths).
  const signatures: Uint8Array[] = []
  for (const entry of entries) {
    const message = entry.subarray(0, entry.length - 64)
    const start = performance.now()
    signatures.push(await engine.sign(keys.signingKey, message))
    sign.push(us(start))
  }
  for (const [i, entry] of entries.entries()) {
    const message = entry.subarray(0, entry.length - 64)
    const start = performance.now()
    const ok = await engine.verify(signatures[i] as Uint8Array, message, keys.verifyKey)
    verify.push(us(start))
    if (!ok) throw new Error('B10: a signature did not verify')
  }
  const entryBytes = entries.reduce((sum, e) => sum + e.length, 0) / entries.length
  return { seal, open, sign, verify, entryBytes }
}

const PRESENCE_STATE = {
  user: { name: 'Ada Lovelace', color: '#30bced' },
  cursor: {
    anchor: {
      type: { client: 1234567890, clock: 4821 },
      tname: null,
      item: { client: 1234567890, clock: 4820 },
      assoc: 0,
    },
    head: {
      type: { client: 1234567890, clock: 4821 },
      tname: null,
      item: { client: 1234567890, clock: 4820 },
      assoc: 0,
    },
  },
}

async function presenceCosts(
  engine: AsyncEd25519,
  keys: DocKeys,
  reps: number,
): Promise<{ sign: number[]; verify: number[]; bytes: number }> {
  const seed = crypto.getRandomValues(new Uint8Array(32))
  const { ed25519 } = await import('@noble/curves/ed25519.js')
  const sessionKey = ed25519.getPublicKey(seed)
  const editorProof = new Uint8Array(64)
  const sign: number[] = []
  const verify: number[] = []
  let bytes = 0
  for (let clock = 1; clock <= reps; clock++) {
    const body = { sessionKey, clock, sentAt: Date.now(), state: PRESENCE_STATE, editorProof }
    let start = performance.now()
    const message = await signPresence(engine, keys.storeTopic, seed, body)
    sign.push(us(start))
    bytes = message.length
    start = performance.now()
    const parsed = parsePresence(message)
    const ok = parsed.ok && (await verifyPresence(engine, keys.storeTopic, parsed.value))
    verify.push(us(start))
    if (!ok) throw new Error('B10: a presence message did not verify')
  }
  return { sign, verify, bytes }
}

// ---- Chromium --------------------------------------------------------------------------------

const PAGE_ENTRY = `
export { sealEntryAsync, openEntryAsync } from './src/sync/gate/seal'
export { ed25519Engine, nobleEd25519 } from './src/sync/gate/ed25519'
export { encodePayload } from './src/sync/always-on/payload'
export { NO_PARENT } from './src/protocol/entry'
export { signPresence, parsePresence, verifyPresence } from './src/sync/gate/presence-codec'
export * as Y from 'yjs'
export { ed25519 } from '@noble/curves/ed25519.js'
`

/** An empty page on 127.0.0.1 (a secure context), cross-origin isolated for 5 µs timers. */
async function isolatedServer(): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, {
      'content-type': 'text/html',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    })
    res.end('<!doctype html><title>B10</title>')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` }
}

/** What the page bundle (PAGE_ENTRY) puts on `globalThis.BenchGate`. */
interface GateBundle {
  sealEntryAsync: typeof sealEntryAsync
  openEntryAsync: typeof openEntryAsync
  ed25519Engine: typeof ed25519Engine
  nobleEd25519: AsyncEd25519
  encodePayload: typeof encodePayload
  NO_PARENT: Uint8Array
  signPresence: typeof signPresence
  parsePresence: typeof parsePresence
  verifyPresence: typeof verifyPresence
  Y: typeof Y
  ed25519: { getPublicKey(seed: Uint8Array): Uint8Array }
}

interface PageResult {
  isolated: boolean
  engine: string
  rows: Record<string, { seal: number[]; open: number[]; sign: number[]; verify: number[] }>
  applyKeystroke: number[]
  applySnapshot: Record<string, number[]>
  presenceSign: number[]
  presenceVerify: number[]
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')

async function inChromium(keys: DocKeys, data: Inputs): Promise<PageResult> {
  const { server, url } = await isolatedServer()
  const browser = await launchChromium()
  try {
    const page = await browser.newPage()
    await page.addInitScript({ content: KEEP_NAMES_SHIM })
    await page.goto(url)
    await installInPage(page, { contents: PAGE_ENTRY }, 'BenchGate')
    return await page.evaluate(
      async (arg): Promise<PageResult> => {
        type Bytes = Uint8Array
        const G = (globalThis as unknown as { BenchGate: GateBundle }).BenchGate
        const un = (s: string): Bytes => Uint8Array.from(atob(s), (c) => c.charCodeAt(0))
        const now = (): number => performance.now()
        const keys = {
          signingKey: un(arg.keys.signingKey),
          verifyKey: un(arg.keys.verifyKey),
          encryptionKey: un(arg.keys.encryptionKey),
          storeTopic: arg.keys.storeTopic,
        } as unknown as DocKeys
        const header = { kind: 'update', parent: G.NO_PARENT, covers: 0 } as const
        const run = async (engine: AsyncEd25519, payloads: Bytes[]) => {
          const seal: number[] = []
          const open: number[] = []
          const sign: number[] = []
          const verify: number[] = []
          const entries: Bytes[] = []
          for (const update of payloads) {
            const t = now()
            entries.push(
              await G.sealEntryAsync(
                engine,
                keys,
                header,
                G.encodePayload({ type: 'update-v1', update }),
              ),
            )
            seal.push((now() - t) * 1000)
          }
          for (const entry of entries) {
            const t = now()
            const opened = await G.openEntryAsync(engine, keys, entry, 1 << 30)
            open.push((now() - t) * 1000)
            if (!opened.ok) throw new Error('an entry did not open in the page')
          }
          const sigs: Bytes[] = []
          for (const entry of entries) {
            const t = now()
            sigs.push(await engine.sign(keys.signingKey, entry.subarray(0, entry.length - 64)))
            sign.push((now() - t) * 1000)
          }
          for (const [i, entry] of entries.entries()) {
            const t = now()
            const ok = await engine.verify(
              sigs[i] as Bytes,
              entry.subarray(0, entry.length - 64),
              keys.verifyKey,
            )
            verify.push((now() - t) * 1000)
            if (!ok) throw new Error('a signature did not verify in the page')
          }
          return { seal, open, sign, verify }
        }
        const webcrypto = await G.ed25519Engine()
        const engineName =
          webcrypto === G.nobleEd25519 ? 'noble (no WebCrypto Ed25519)' : 'WebCrypto'
        const keystrokes = arg.keystrokes.map(un)
        // Baseline first, Yjs warmed on a second replica, as in Node (where the replay warmed it).
        const beforeState = un(arg.beforeState)
        const warm = new G.Y.Doc()
        G.Y.applyUpdate(warm, beforeState)
        for (const update of keystrokes.slice(0, 200)) G.Y.applyUpdate(warm, update)
        warm.destroy()
        const replica = new G.Y.Doc()
        G.Y.applyUpdate(replica, beforeState)
        const applyKeystroke: number[] = []
        for (const update of keystrokes) {
          const t = now()
          G.Y.applyUpdate(replica, update)
          applyKeystroke.push((now() - t) * 1000)
        }
        if (replica.store.pendingStructs !== null) {
          throw new Error('the keystrokes did not integrate in the page (pending structs)')
        }
        replica.destroy()
        await run(webcrypto, keystrokes.slice(0, 50))
        await run(G.nobleEd25519, keystrokes.slice(0, 20))
        const rows: PageResult['rows'] = {}
        rows['keystroke, WebCrypto'] = await run(webcrypto, keystrokes)
        rows['keystroke, noble'] = await run(
          G.nobleEd25519,
          keystrokes.slice(0, arg.nobleKeystrokes),
        )
        const applySnapshot: Record<string, number[]> = {}
        for (const snap of arg.snapshots) {
          const state = un(snap.state)
          const reps = Array.from({ length: snap.reps }, () => state)
          rows[`${snap.label}, WebCrypto`] = await run(webcrypto, reps)
          rows[`${snap.label}, noble`] = await run(G.nobleEd25519, reps)
          applySnapshot[snap.label] = []
          for (let i = 0; i < snap.reps; i++) {
            const t = now()
            G.Y.applyUpdate(new G.Y.Doc(), state)
            applySnapshot[snap.label]!.push((now() - t) * 1000)
          }
        }
        // Presence: a session key signs each message; peers verify it (the editor proof is
        // verified once per session and cached, so it is not in the per-message cost).
        const seed = crypto.getRandomValues(new Uint8Array(32))
        const sessionKey = G.ed25519.getPublicKey(seed)
        const presenceSign: number[] = []
        const presenceVerify: number[] = []
        for (let clock = 1; clock <= arg.presenceReps; clock++) {
          const body = {
            sessionKey,
            clock,
            sentAt: Date.now(),
            state: arg.presenceState,
            editorProof: new Uint8Array(64),
          }
          let t = now()
          const message = await G.signPresence(webcrypto, keys.storeTopic, seed, body)
          presenceSign.push((now() - t) * 1000)
          t = now()
          const parsed = G.parsePresence(message)
          const ok = parsed.ok && (await G.verifyPresence(webcrypto, keys.storeTopic, parsed.value))
          presenceVerify.push((now() - t) * 1000)
          if (!ok) throw new Error('a presence message did not verify in the page')
        }
        return {
          isolated: crossOriginIsolated,
          engine: engineName,
          rows,
          applyKeystroke,
          applySnapshot,
          presenceSign,
          presenceVerify,
        }
      },
      {
        keys: {
          signingKey: b64(keys.signingKey),
          verifyKey: b64(keys.verifyKey),
          encryptionKey: b64(keys.encryptionKey),
          storeTopic: keys.storeTopic,
        },
        keystrokes: data.keystrokes.map(b64),
        nobleKeystrokes: NOBLE_KEYSTROKES,
        snapshots: data.snapshots.map((s) => ({
          label: s.label,
          state: b64(s.state),
          reps: s.label === 'snapshot' ? SNAPSHOT_REPS : SNAPSHOT_X5_REPS,
        })),
        beforeState: b64(data.beforeState),
        presenceReps: PRESENCE_REPS,
        presenceState: PRESENCE_STATE,
      },
    )
  } finally {
    await browser.close().catch(() => undefined)
    await new Promise((resolve) => server.close(resolve))
  }
}

// ---- The figure ------------------------------------------------------------------------------

export async function b10(options: { browser?: boolean } = {}): Promise<Figure> {
  const trace = loadTrace('automerge-paper')
  const data = inputs(trace)
  const keys = deriveDocKeys(newDocAddress())
  const webcrypto = await ed25519Engine()
  const webcryptoName =
    webcrypto === nobleEd25519 ? 'noble (no WebCrypto Ed25519 here)' : 'WebCrypto'
  // Warm-up: the first use imports the keys (cached per key, as in the app) and compiles.
  await costs(webcrypto, keys, data.keystrokes.slice(0, 50))
  await costs(nobleEd25519, keys, data.keystrokes.slice(0, 20))
  const node: {
    label: string
    engine: string
    bytes: number
    c: Costs
    send: number[]
    receive: number[]
  }[] = []
  const keystrokeBytes =
    data.keystrokes.reduce((sum, u) => sum + u.length, 0) / data.keystrokes.length
  for (const [engine, name, payloads] of [
    [webcrypto, webcryptoName, data.keystrokes],
    [nobleEd25519, 'noble', data.keystrokes.slice(0, NOBLE_KEYSTROKES)],
  ] as const) {
    node.push({
      label: 'keystroke',
      engine: name,
      bytes: keystrokeBytes,
      c: await costs(engine, keys, payloads),
      send: data.keystrokeLocalUs,
      receive: data.keystrokeApplyUs,
    })
  }
  for (const snap of data.snapshots) {
    const reps = snap.label === 'snapshot' ? SNAPSHOT_REPS : SNAPSHOT_X5_REPS
    const payloads = Array.from({ length: reps }, () => snap.state)
    for (const [engine, name] of [
      [webcrypto, webcryptoName],
      [nobleEd25519, 'noble'],
    ] as const) {
      node.push({
        label: snap.label,
        engine: name,
        bytes: snap.state.length,
        c: await costs(engine, keys, payloads),
        send: snap.encodeUs,
        receive: snap.applyUs,
      })
    }
  }
  const presence = await presenceCosts(webcrypto, keys, PRESENCE_REPS)
  const presenceNoble = await presenceCosts(nobleEd25519, keys, 100)

  const rows: Row[] = []
  const p50 = (s: readonly number[]): number => percentile(s, 50)
  const details: string[] = [
    '',
    'B10 detail (µs per entry, p50 / p99; seal = encode payload + encrypt + sign, open = verify +',
    'decrypt; sign / verify = the Ed25519 signature alone over the same bytes; before the gate =',
    'the same update unsigned: sent = the Yjs transaction that made it (a keystroke) or',
    'Y.encodeStateAsUpdate (a snapshot), received = Y.applyUpdate):',
    '',
    '| where | entry | Yjs bytes | engine | n | seal | open | sign | verify | before the gate: sent | received |',
    '|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|',
  ]
  for (const r of node) {
    details.push(
      `| Node | ${r.label} | ${Math.round(r.bytes).toLocaleString('en')} | ${r.engine} | ${r.c.seal.length} | ` +
        `${p50p99(r.c.seal)} | ${p50p99(r.c.open)} | ${p50p99(r.c.sign)} | ${p50p99(r.c.verify)} | ` +
        `${p50p99(r.send)} | ${p50p99(r.receive)} |`,
    )
  }
  for (const r of node.filter((x) => x.engine !== 'noble')) {
    rows.push({
      id: 'B10',
      what: `Node, ${r.label} (${Math.round(r.bytes).toLocaleString('en')} B), ${r.engine}: seal / open p50`,
      value: `${fmt(p50(r.c.seal))} / ${fmt(p50(r.c.open))} µs`,
      baseline: `${fmt(p50(r.send))} / ${fmt(p50(r.receive))} µs Yjs unsigned`,
      ratio: p50(r.c.open) / p50(r.receive),
      target: 'reported',
      met: null,
    })
  }
  details.push(
    `| Node | presence (${presence.bytes} B) | — | ${webcryptoName} | ${presence.sign.length} | ` +
      `sign ${p50p99(presence.sign)} | verify ${p50p99(presence.verify)} | | | | |`,
    `| Node | presence (${presenceNoble.bytes} B) | — | noble | ${presenceNoble.sign.length} | ` +
      `sign ${p50p99(presenceNoble.sign)} | verify ${p50p99(presenceNoble.verify)} | | | | |`,
  )
  rows.push({
    id: 'B10',
    what: `Node, presence message (${presence.bytes} B), ${webcryptoName}: sign / verify p50`,
    value: `${fmt(p50(presence.sign))} / ${fmt(p50(presence.verify))} µs`,
    baseline: '— (unsigned before)',
    ratio: null,
    target: 'reported',
    met: null,
  })

  if (options.browser !== false) {
    const page = await inChromium(keys, data)
    const applyOf = (label: string): number[] =>
      label.startsWith('keystroke')
        ? page.applyKeystroke
        : (page.applySnapshot[label.split(', ')[0] as string] ?? [])
    for (const [name, c] of Object.entries(page.rows)) {
      const [label] = name.split(', ')
      const engine = name.endsWith('noble') ? 'noble' : page.engine
      const bytes =
        label === 'keystroke'
          ? keystrokeBytes
          : (data.snapshots.find((s) => s.label === label)?.state.length ?? 0)
      details.push(
        `| Chromium | ${label} | ${Math.round(bytes).toLocaleString('en')} | ${engine} | ${c.seal.length} | ` +
          `${p50p99(c.seal)} | ${p50p99(c.open)} | ${p50p99(c.sign)} | ${p50p99(c.verify)} | — | ` +
          `${p50p99(applyOf(name))} |`,
      )
      if (engine !== 'noble') {
        rows.push({
          id: 'B10',
          what: `Chromium, ${label} (${Math.round(bytes).toLocaleString('en')} B), ${engine}: seal / open p50 (p99)`,
          value: `${fmt(p50(c.seal))} (${fmt(percentile(c.seal, 99))}) / ${fmt(p50(c.open))} (${fmt(percentile(c.open, 99))}) µs`,
          baseline: `${fmt(p50(applyOf(name)))} µs Y.applyUpdate`,
          ratio: p50(c.open) / p50(applyOf(name)),
          target: 'reported',
          met: null,
        })
      }
    }
    details.push(
      `| Chromium | presence | — | ${page.engine} | ${page.presenceSign.length} | ` +
        `sign ${p50p99(page.presenceSign)} | verify ${p50p99(page.presenceVerify)} | | | | |`,
    )
    rows.push({
      id: 'B10',
      what: `Chromium, presence message, ${page.engine}: sign / verify p50`,
      value: `${fmt(p50(page.presenceSign))} / ${fmt(p50(page.presenceVerify))} µs`,
      baseline: '— (unsigned before)',
      ratio: null,
      target: 'reported',
      met: null,
    })
    details.push(
      '',
      `Chromium page cross-origin isolated (5 µs timers): ${page.isolated ? 'yes' : 'no (timers 100 µs)'}.`,
    )
  }
  details.push(
    `Ratio column: open p50 over Y.applyUpdate p50 of the same update. Keystroke updates: the ` +
      `automerge-paper trace's last ${KEYSTROKES.toLocaleString('en')} (noble: the first ` +
      `${NOBLE_KEYSTROKES} of them), mean ${keystrokeBytes.toFixed(0)} bytes; every entry awaited ` +
      'one at a time. Presence: a name, a colour and a caret; the editor proof is verified once ' +
      'per session (cached), so it is not in the per-message figure.',
  )
  return { rows, details }
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: { browser: { type: 'string', default: 'true' } },
    strict: true,
  })
  runAlone('B10', () => b10({ browser: values.browser !== 'false' }))
}
