import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'

// The real-world editing traces in test/fixtures/traces (josephg/editing-traces, CC BY 4.0; see
// that folder's README). Sequential format only: every patch is [pos, deleted, inserted] against
// the text left by the previous patch; positions are code points, and none of these files has a
// code point above U+FFFF, so UTF-16 string indexes are the same.

export type Patch = readonly [pos: number, deleted: number, inserted: string]

export interface Trace {
  readonly name: string
  readonly endContent: string
  /** Every patch of every transaction, in order. */
  readonly patches: readonly Patch[]
}

interface RawTrace {
  startContent?: string
  endContent?: unknown
  txns?: { patches?: unknown }[]
}

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/** Where the traces are: test/fixtures/traces in this repository, or TRACES_DIR if set. */
export function tracesDir(): string {
  const fromEnv = process.env.TRACES_DIR
  return fromEnv !== undefined && fromEnv !== ''
    ? path.resolve(fromEnv)
    : path.join(repoRoot, 'test/fixtures/traces')
}

const cache = new Map<string, Trace>()

/** Loads `<name>.json.gz` (e.g. `automerge-paper`), checked to be sequential and well formed. */
export function loadTrace(name: string): Trace {
  const cached = cache.get(name)
  if (cached) return cached
  const file = path.join(tracesDir(), `${name}.json.gz`)
  if (!existsSync(file)) {
    throw new Error(
      `trace ${file} is missing; the traces live in test/fixtures/traces (see its README), ` +
        'or in the folder TRACES_DIR names',
    )
  }
  const raw = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as RawTrace
  if (typeof raw.endContent !== 'string' || !Array.isArray(raw.txns)) {
    throw new Error(`${file} is not a sequential trace (endContent, txns)`)
  }
  if ((raw.startContent ?? '') !== '') throw new Error(`${file}: startContent is not empty`)
  const patches: Patch[] = []
  for (const txn of raw.txns) {
    if (!Array.isArray(txn.patches)) throw new Error(`${file}: a txn has no patches`)
    for (const patch of txn.patches as unknown[]) {
      const [pos, del, ins] = patch as [unknown, unknown, unknown]
      if (typeof pos !== 'number' || typeof del !== 'number' || typeof ins !== 'string') {
        throw new Error(`${file}: malformed patch ${JSON.stringify(patch)}`)
      }
      patches.push([pos, del, ins])
    }
  }
  const trace: Trace = { name, endContent: raw.endContent, patches }
  cache.set(name, trace)
  return trace
}

/** Replays the patches on a plain string: the reference result. */
export function replayString(patches: readonly Patch[]): string {
  let s = ''
  for (const [pos, del, ins] of patches) s = s.slice(0, pos) + ins + s.slice(pos + del)
  return s
}
