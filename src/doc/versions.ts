import { sha256 } from '@noble/hashes/sha2.js'
import * as Y from 'yjs'
import {
  decodeRanges,
  deletionsAsUpdate,
  deletionsOf,
  encodeRanges,
  structsSince,
  subtract,
  union,
  type Ranges,
} from './delete-set'
import { bodyOf } from './model'
import { BODY_ORIGIN } from './pm-bridge'

// Versions of a document (rules VERSION-1..6), kept inside the document itself, so they reach
// every peer, every always-on peer (encrypted like the rest) and every backup with no channel of
// their own. The document keeps no per-character history (gc stays on); a version keeps what it
// needs to be rebuilt: the structs added since the version it builds on, and the deletions made
// since then. A version is rebuilt by merging its chain. Its entry is written by a client id of
// its own, and its mark (the state vector the next version starts from) covers that client, so
// no version's structs ever hold another version's bytes, and the body's clients have no gaps.
//
// Restoring is a forward change (AFFiNE's and La Suite Docs' revert): the version is rebuilt in a
// scratch document, the current state is applied on top with a tracked origin, an UndoManager
// undoes that, and what the undo wrote is the change that brings today's document back to the
// version. The scratch document's client id is derived from the version and today's state, so two
// peers restoring the same version from the same state write byte-identical changes, which Yjs
// merges as one: nothing is duplicated.

export const VERSIONS = 'versions'
export const VERSION_MARKS = 'versionMarks'
/** Origin of the transactions that save or rename versions (not undoable, not body edits). */
export const VERSION_ORIGIN = 'meshpad/version'

export type VersionKind = 'manual' | 'auto'

export interface VersionInfo {
  readonly id: string
  readonly kind: VersionKind
  /** Milliseconds since the epoch, on the saver's clock. */
  readonly at: number
  readonly name: string
  /** Names of the people whose insertions this version has that the one before lacks. */
  readonly authors: readonly string[]
  readonly base: string
  /** Bytes this version keeps (structs and deletions). */
  readonly size: number
}

const EMPTY_SV = Y.encodeStateVector(new Y.Doc())

function versionsOf(doc: Y.Doc): Y.Map<Y.Map<unknown>> {
  return doc.getMap<Y.Map<unknown>>(VERSIONS)
}

function marksOf(doc: Y.Doc): Y.Map<Uint8Array> {
  return doc.getMap<Uint8Array>(VERSION_MARKS)
}

function infoOf(entry: Y.Map<unknown>): VersionInfo | null {
  const id = entry.get('id')
  const kind = entry.get('kind')
  const at = entry.get('at')
  const structs = entry.get('structs')
  const deletes = entry.get('deletes')
  if (typeof id !== 'string' || (kind !== 'manual' && kind !== 'auto') || typeof at !== 'number')
    return null
  if (!(structs instanceof Uint8Array) || !(deletes instanceof Uint8Array)) return null
  const name = entry.get('name')
  const base = entry.get('base')
  const authors = entry.get('authors')
  return {
    id,
    kind,
    at,
    name: typeof name === 'string' ? name : '',
    base: typeof base === 'string' ? base : '',
    authors: Array.isArray(authors)
      ? authors.filter((a): a is string => typeof a === 'string')
      : [],
    size: structs.length + deletes.length,
  }
}

function entries(doc: Y.Doc): Map<string, Y.Map<unknown>> {
  const out = new Map<string, Y.Map<unknown>>()
  for (const [key, entry] of versionsOf(doc)) {
    if (entry instanceof Y.Map && entry.get('id') === key) out.set(key, entry)
  }
  return out
}

/** Every version, newest first. Malformed entries (from a faulty peer) are skipped. */
export function listVersions(doc: Y.Doc): VersionInfo[] {
  const out: VersionInfo[] = []
  for (const entry of entries(doc).values()) {
    const info = infoOf(entry)
    if (info) out.push(info)
  }
  return out.sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1))
}

/** The chain from the version back to the first, or null if a link is missing (not synced yet). */
function chainOf(doc: Y.Doc, id: string): Y.Map<unknown>[] | null {
  const all = entries(doc)
  const chain: Y.Map<unknown>[] = []
  const seen = new Set<string>()
  let next = id
  while (next !== '') {
    const entry = all.get(next)
    if (!entry || seen.has(next)) return null
    seen.add(next)
    chain.push(entry)
    const base = entry.get('base')
    next = typeof base === 'string' ? base : ''
  }
  return chain
}

function deletionsUpTo(chain: Y.Map<unknown>[]): Ranges {
  return union(chain.map((entry) => decodeRanges(entry.get('deletes') as Uint8Array)))
}

/** The version as one Yjs update (V1): its content, deletions applied. Null if unavailable. */
export function versionUpdate(doc: Y.Doc, id: string): Uint8Array | null {
  const chain = chainOf(doc, id)
  if (!chain) return null
  const structs = chain.map((entry) => entry.get('structs') as Uint8Array).reverse()
  return Y.mergeUpdates([...structs, deletionsAsUpdate(deletionsUpTo(chain))])
}

/** A document holding the version (history kept, so a restore can bring deleted text back). */
export function versionDoc(doc: Y.Doc, id: string, clientId?: number): Y.Doc | null {
  const update = versionUpdate(doc, id)
  if (!update) return null
  const scratch = new Y.Doc({ gc: false })
  if (clientId !== undefined) scratch.clientID = clientId
  Y.applyUpdate(scratch, update)
  return scratch
}

export interface SaveOptions {
  readonly kind: VersionKind
  readonly at: number
  readonly name?: string
  /** Maps client ids found in the new structs to people's names (from presence). */
  readonly nameOf?: (clientId: number) => string | null
}

/** The latest version this document can build on: one whose mark has arrived. */
function latestMarked(doc: Y.Doc): VersionInfo | null {
  const marks = marksOf(doc)
  return listVersions(doc).find((info) => marks.has(info.id) && chainOf(doc, info.id)) ?? null
}

/** True when the body changed since the latest version (or there is none and it has content). */
export function changedSinceLastVersion(doc: Y.Doc): boolean {
  const last = latestMarked(doc)
  const since = last ? (marksOf(doc).get(last.id) ?? EMPTY_SV) : EMPTY_SV
  if (Y.decodeUpdate(structsSince(doc, since)).structs.length > 0) return true
  const before: Ranges = last
    ? deletionsUpTo(chainOf(doc, last.id) ?? [])
    : new Map<number, [number, number][]>()
  return subtract(deletionsOf(doc), before).size > 0
}

export function saveVersion(doc: Y.Doc, options: SaveOptions): VersionInfo {
  const last = latestMarked(doc)
  const since = last ? (marksOf(doc).get(last.id) ?? EMPTY_SV) : EMPTY_SV
  const structs = structsSince(doc, since)
  const before: Ranges = last
    ? deletionsUpTo(chainOf(doc, last.id) ?? [])
    : new Map<number, [number, number][]>()
  const deletes = encodeRanges(subtract(deletionsOf(doc), before))
  const clients = new Set(Y.decodeUpdate(structs).structs.map((struct) => struct.id.client))
  const authors = [...clients]
    .map((client) => options.nameOf?.(client) ?? null)
    .filter((name): name is string => name !== null)
  const id = randomId()
  // Written in a scratch document with a fresh client id (map keys need no neighbours), then
  // merged in: the entry's structs belong to that client alone.
  const writer = new Y.Doc()
  const entry = new Y.Map<unknown>()
  entry.set('id', id)
  entry.set('kind', options.kind)
  entry.set('at', options.at)
  entry.set('name', options.name ?? '')
  entry.set('base', last?.id ?? '')
  entry.set('authors', [...new Set(authors)])
  entry.set('structs', structs)
  entry.set('deletes', deletes)
  versionsOf(writer).set(id, entry)
  // The mark: today's state vector plus the writer's entry and the mark itself (one item).
  const mark = new Map(Y.decodeStateVector(Y.encodeStateVector(doc)))
  mark.set(writer.clientID, Y.getState(writer.store, writer.clientID) + 1)
  marksOf(writer).set(id, Y.encodeStateVector(mark))
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(writer), VERSION_ORIGIN)
  writer.destroy()
  return infoOf(entries(doc).get(id)!)!
}

export function renameVersion(doc: Y.Doc, id: string, name: string): void {
  const entry = entries(doc).get(id)
  if (!entry) return
  doc.transact(() => entry.set('name', name.slice(0, 100)), VERSION_ORIGIN)
}

/**
 * The change that brings today's document back to the version, to be applied with the editor's
 * own origin so that its undo takes it back (VERSION-4). Null when the version cannot be rebuilt
 * here yet, or today's document already equals it.
 */
export function restoreUpdate(doc: Y.Doc, id: string): Uint8Array | null {
  const today = Y.encodeStateAsUpdate(doc)
  const clientId = scratchClientId(id, Y.encodeStateVector(doc), deletionsOf(doc))
  const scratch = versionDoc(doc, id, clientId)
  if (!scratch) return null
  if (JSON.stringify(bodyOf(scratch).toJSON()) === JSON.stringify(bodyOf(doc).toJSON())) {
    // Already the same document: a restore would only churn the history.
    scratch.destroy()
    return null
  }
  const TODAY = 'meshpad/restore-today'
  const undo = new Y.UndoManager(bodyOf(scratch), {
    trackedOrigins: new Set([TODAY]),
    captureTimeout: 0,
  })
  Y.applyUpdate(scratch, today, TODAY)
  const before = Y.encodeStateVector(scratch)
  undo.undo()
  undo.destroy()
  const update = Y.encodeStateAsUpdate(scratch, before)
  scratch.destroy()
  return update
}

/** Applies a restore as this editor's own change (undoable by its Ctrl+Z). */
export function applyRestore(doc: Y.Doc, update: Uint8Array): void {
  Y.applyUpdate(doc, update, BODY_ORIGIN)
}

function scratchClientId(id: string, sv: Uint8Array, deletions: Ranges): number {
  const label = new TextEncoder().encode(`meshpad/restore\u0000${id}\u0000`)
  const ds = encodeRanges(deletions)
  const input = new Uint8Array(label.length + sv.length + ds.length)
  input.set(label)
  input.set(sv, label.length)
  input.set(ds, label.length + sv.length)
  const hash = sha256(input)
  // Yjs client ids are unsigned 32-bit numbers.
  return ((hash[0]! << 24) | (hash[1]! << 16) | (hash[2]! << 8) | hash[3]!) >>> 0
}

function randomId(): string {
  const bytes = new Uint8Array(12)
  globalThis.crypto.getRandomValues(bytes)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}
