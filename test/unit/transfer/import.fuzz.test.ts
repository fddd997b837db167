// @vitest-environment jsdom
import type { JSONContent } from '@tiptap/core'
import * as prng from 'lib0/prng'
import { describe, expect, it } from 'vitest'
import { DocumentCatalog } from '../../../src/doc/catalog'
import { createDoc } from '../../../src/doc/model'
import { readBody, writeBody } from '../../../src/doc/pm-bridge'
import { documentSchema } from '../../../src/editor/extensions'
import type { DocAddress } from '../../../src/share/link'
import {
  exportHtml,
  exportJson,
  exportMarkdown,
  exportMeshpad,
  type ExportFile,
} from '../../../src/transfer/export'
import type { ImportSource } from '../../../src/transfer/import'
import { MESHPAD_MAGIC } from '../../../src/transfer/meshpad-file'
import { importAsNewDocument, type ImportOutcome } from '../../../src/transfer/new-document'
import { MAX_IMPORT_BYTES, type ImportProblem } from '../../../src/transfer/problems'
import { EVERY_NODE_AND_MARK, source } from './fixtures'

// A fuzz of the importers (rule XFER-7), through the whole import path with a counting store
// and a real catalog: random bytes, every cut of the files Meshpad writes, bit flips, oversized
// files. Every outcome must be a refusal from the closed set (or, where the damaged input is
// still a valid file of its kind, a document): 0 crashes; for input that is not a valid file,
// 0 documents created. Seeded with lib0/prng; `XFER_FUZZ_SEED=<n>` replays, `XFER_FUZZ_CASES`
// changes the count of random cases.

const REASONS: readonly ImportProblem[] = [
  'file-too-large',
  'empty-file',
  'unsupported-type',
  'unreadable',
  'not-text',
  'malformed-json',
  'not-a-document',
  'not-a-meshpad-file',
  'unsupported-version',
  'truncated',
  'damaged',
  'active-content',
  'storage-failed',
]
const NAMES = ['x.md', 'x.markdown', 'x.html', 'x.htm', 'x.json', 'x.meshpad']
const seed = Number(process.env['XFER_FUZZ_SEED'] ?? 20_260_101)
const cases = Number(process.env['XFER_FUZZ_CASES'] ?? 100)

function bytesOf(file: ExportFile): Uint8Array {
  return typeof file.data === 'string' ? new TextEncoder().encode(file.data) : file.data
}

function exports(): Record<'markdown' | 'html' | 'json' | 'meshpad', ExportFile> {
  const schema = documentSchema()
  const node = schema.nodeFromJSON(EVERY_NODE_AND_MARK)
  const json = node.toJSON() as JSONContent
  const doc = createDoc()
  readBody(doc, schema)
  writeBody(doc, schema, node)
  return {
    markdown: exportMarkdown(json, 'fuzz'),
    html: exportHtml(json, 'fuzz'),
    json: exportJson(json, 'fuzz'),
    meshpad: exportMeshpad(doc, 'fuzz'),
  }
}

describe('importer fuzz', () => {
  it('[XFER-7] random bytes, truncations and oversized files: 0 crashes, 0 documents created', async () => {
    console.log(
      `[XFER-7 fuzz] seed ${seed} (replay: XFER_FUZZ_SEED=${seed}), ${cases} random cases`,
    )
    const gen = prng.create(seed)
    const map = new Map<string, string>()
    const catalog = new DocumentCatalog({
      getItem: (key) => map.get(key) ?? null,
      setItem: (key, value) => void map.set(key, value),
    })
    let stored = 0
    const deps = {
      catalog,
      storeNewCopy: (_address: DocAddress, _update: Uint8Array) => {
        stored += 1
        return Promise.resolve()
      },
    }
    const tally = new Map<string, number>()
    let crashes = 0
    const run = async (input: ImportSource, label: string): Promise<ImportOutcome | null> => {
      let outcome: ImportOutcome
      try {
        outcome = await importAsNewDocument(input, deps)
      } catch (error) {
        crashes += 1
        console.log(`[XFER-7 fuzz] crash on ${label}: ${String(error)}`)
        return null
      }
      const key = outcome.ok ? 'created' : outcome.reason
      tally.set(key, (tally.get(key) ?? 0) + 1)
      if (!outcome.ok) expect(REASONS, label).toContain(outcome.reason)
      return outcome
    }
    /** Bad input: must be refused, and nothing stored or listed. */
    const refused = async (input: ImportSource, label: string): Promise<void> => {
      const before = { stored, listed: catalog.list().length }
      const outcome = await run(input, label)
      expect(outcome?.ok, `${label} was accepted`).toBe(false)
      expect({ stored, listed: catalog.list().length }, label).toEqual(before)
    }

    // 1. Random bytes, never valid UTF-8 nor a MESHPAD header, under every name.
    for (let i = 0; i < cases; i++) {
      const bytes = prng.uint8Array(gen, prng.int32(gen, 1, 2048))
      bytes[0] = 0xff
      bytes[prng.int32(gen, 0, bytes.length - 1)] = 0xff
      await refused(source(prng.oneOf(gen, NAMES), bytes), `random bytes #${i}`)
    }
    // 2. A MESHPAD header followed by random bytes.
    for (let i = 0; i < cases; i++) {
      const tail = prng.uint8Array(gen, prng.int32(gen, 0, 512))
      const bytes = new Uint8Array(MESHPAD_MAGIC.length + 1 + tail.length)
      bytes.set(MESHPAD_MAGIC)
      bytes[MESHPAD_MAGIC.length] = prng.bool(gen) ? 1 : prng.int32(gen, 0, 255)
      bytes.set(tail, MESHPAD_MAGIC.length + 1)
      await refused(source('x.meshpad', bytes), `header + random #${i}`)
    }
    const files = exports()
    // 3. Cuts of a .meshpad file (every one through the header and metadata, then random
    // steps through the state), and of a JSON export (before its closing brace).
    const meshpad = bytesOf(files.meshpad)
    for (
      let length = 1;
      length < meshpad.length;
      length += length < 120 ? 1 : prng.int32(gen, 1, 12)
    ) {
      await refused(source('x.meshpad', meshpad.subarray(0, length)), `.meshpad cut at ${length}`)
    }
    const json = bytesOf(files.json)
    const lastBrace = json.lastIndexOf(0x7d)
    for (let length = 1; length < lastBrace; length += prng.int32(gen, 1, 40)) {
      await refused(source('x.json', json.subarray(0, length)), `.json cut at ${length}`)
    }
    // 4. Oversized files of every kind: refused from their size, never read.
    for (const name of NAMES) {
      await refused(
        {
          name,
          size: MAX_IMPORT_BYTES + prng.int32(gen, 1, 1 << 30),
          arrayBuffer: () => Promise.reject(new Error('an oversized file was read')),
        },
        `oversized ${name}`,
      )
    }
    // 5. Cuts of Markdown and HTML and bit flips in a .meshpad state: still text or maybe a
    // valid state, so a document may result; it must never crash.
    for (const format of ['markdown', 'html'] as const) {
      const bytes = bytesOf(files[format])
      for (let i = 0; i < cases / 10; i++) {
        await run(
          source(files[format].filename, bytes.subarray(0, prng.int32(gen, 1, bytes.length))),
          `${format} cut #${i}`,
        )
      }
    }
    for (let i = 0; i < cases / 10; i++) {
      const flipped = meshpad.slice()
      for (let k = prng.int32(gen, 1, 4); k > 0; k--) {
        const at = prng.int32(gen, meshpad.length - 200, meshpad.length - 1)
        flipped[at] = (flipped[at] ?? 0) ^ (1 << prng.int32(gen, 0, 7))
      }
      await run(source('x.meshpad', flipped), `.meshpad bit flips #${i}`)
    }

    console.log(`[XFER-7 fuzz] outcomes ${JSON.stringify(Object.fromEntries(tally))}`)
    expect(crashes).toBe(0)
  }, 60_000)
})
