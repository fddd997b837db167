import type { Node as PMNode } from '@tiptap/pm/model'
import * as Y from 'yjs'
import { bodyOf, createDoc } from '../doc/model'
import { readBody, writeBody } from '../doc/pm-bridge'
import { deriveTitle } from '../doc/title'
import { documentSchema } from '../editor/extensions'
import { toSchemaDocument, withSafeLinks } from './document'
import { fromHtml } from './html'
import { fromMarkdown } from './markdown'
import { decodeMeshpadFile, looksLikeMeshpad } from './meshpad-file'
import { ImportError, MAX_IMPORT_BYTES, type ImportProblem } from './problems'

// Reads a file into the state of a NEW document (rules XFER-5..7). Pure apart from the DOM the
// HTML converter parses with: nothing is stored here. The content is written into a fresh Y.Doc
// through src/doc/pm-bridge.ts, the path the editor binding takes, so the document is exactly
// what an editor typing it would have made (never an editor's `content`, rule EDIT-5).

export type ImportFormat = 'markdown' | 'html' | 'json' | 'meshpad'

/** A File, or anything with its name, size and bytes. */
export interface ImportSource {
  readonly name: string
  readonly size: number
  arrayBuffer(): Promise<ArrayBuffer>
}

export interface ImportedDocument {
  readonly format: ImportFormat
  /** The body as the editor will show it. */
  readonly body: PMNode
  /** The title derived from the body (rule DOC-2). */
  readonly title: string
  /** The name the exporter gave it (`.meshpad` metadata), when it differs from `title`. */
  readonly customTitle?: string
  /** The whole state of the new Y.Doc, as one Yjs update (V1, as IndexedDB rows hold it). */
  readonly update: Uint8Array
}

export type ImportResult =
  | { readonly ok: true; readonly document: ImportedDocument }
  | { readonly ok: false; readonly reason: ImportProblem; readonly detail: string }

const EXTENSIONS: Record<string, ImportFormat> = {
  md: 'markdown',
  markdown: 'markdown',
  html: 'html',
  htm: 'html',
  json: 'json',
  meshpad: 'meshpad',
}

/** The accept list of the file input. */
export { IMPORT_ACCEPT } from './accept'

export function formatOf(name: string): ImportFormat | null {
  const dot = name.lastIndexOf('.')
  if (dot < 0) return null
  return EXTENSIONS[name.slice(dot + 1).toLowerCase()] ?? null
}

function decodeText(bytes: Uint8Array): string {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new ImportError('not-text', 'the file is not UTF-8 text')
  }
  if (text.includes('\u0000')) throw new ImportError('not-text', 'the file holds binary data')
  return text.startsWith('\ufeff') ? text.slice(1) : text
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new ImportError(
      'malformed-json',
      error instanceof Error ? error.message.slice(0, 200) : 'does not parse',
    )
  }
}

function fromText(format: Exclude<ImportFormat, 'meshpad'>, text: string): unknown {
  try {
    if (format === 'markdown') return fromMarkdown(text)
    if (format === 'html') return fromHtml(text)
    return parseJson(text)
  } catch (error) {
    if (error instanceof ImportError) throw error
    // A converter that gave up (e.g. nesting deeper than the stack).
    throw new ImportError(
      'not-a-document',
      error instanceof Error ? error.message.slice(0, 200) : '',
    )
  }
}

function newDocWith(body: PMNode): Y.Doc {
  const schema = body.type.schema
  const doc = createDoc()
  readBody(doc, schema)
  writeBody(doc, schema, body)
  return doc
}

function fromMeshpad(bytes: Uint8Array): { doc: Y.Doc; body: PMNode; savedTitle: string } {
  const file = decodeMeshpadFile(bytes)
  const schema = documentSchema()
  const doc = createDoc()
  try {
    Y.applyUpdateV2(doc, file.state)
  } catch (error) {
    throw new ImportError(
      'damaged',
      `the document state does not decode${error instanceof Error ? `: ${error.message.slice(0, 120)}` : ''}`,
    )
  }
  if (doc.store.pendingStructs !== null || doc.store.pendingDs !== null) {
    throw new ImportError('damaged', 'the document state refers to changes it does not hold')
  }
  let body: PMNode
  try {
    body = readBody(doc, schema)
    body.check()
  } catch (error) {
    throw new ImportError(
      'damaged',
      `the document is not valid${error instanceof Error ? `: ${error.message.slice(0, 120)}` : ''}`,
    )
  }
  const safe = withSafeLinks(body, schema)
  if (safe !== body) {
    writeBody(doc, schema, safe)
    body = safe
  }
  return { doc, body, savedTitle: file.metadata.title.trim() }
}

async function readSource(source: ImportSource): Promise<ImportedDocument> {
  if (source.size > MAX_IMPORT_BYTES) {
    throw new ImportError(
      'file-too-large',
      `${(source.size / 1024 / 1024).toFixed(1)} MB; the limit is ${MAX_IMPORT_BYTES / 1024 / 1024} MB`,
    )
  }
  if (source.size === 0) throw new ImportError('empty-file', 'the file is empty')
  const named = formatOf(source.name)
  if (named === null) throw new ImportError('unsupported-type', source.name.slice(-60))
  let bytes: Uint8Array
  try {
    bytes = new Uint8Array(await source.arrayBuffer())
  } catch (error) {
    throw new ImportError('unreadable', error instanceof Error ? error.message.slice(0, 200) : '')
  }
  // Checked again on the bytes: a size can be reported wrongly.
  if (bytes.length > MAX_IMPORT_BYTES) throw new ImportError('file-too-large', 'over the limit')
  if (bytes.length === 0) throw new ImportError('empty-file', 'the file is empty')

  // The header decides, whatever the name says: a renamed .meshpad file is still one.
  if (named === 'meshpad' || looksLikeMeshpad(bytes)) {
    const { doc, body, savedTitle } = fromMeshpad(bytes)
    const title = deriveTitle(bodyOf(doc))
    return {
      format: 'meshpad',
      body,
      title,
      ...(savedTitle !== '' && savedTitle !== title ? { customTitle: savedTitle } : {}),
      update: Y.encodeStateAsUpdate(doc),
    }
  }
  const body = toSchemaDocument(fromText(named, decodeText(bytes)), documentSchema())
  const doc = newDocWith(body)
  return {
    format: named,
    body: readBody(doc, body.type.schema),
    title: deriveTitle(bodyOf(doc)),
    update: Y.encodeStateAsUpdate(doc),
  }
}

/** Reads a file into a new document's state; never throws, every refusal has a reason. */
export async function readImport(source: ImportSource): Promise<ImportResult> {
  try {
    return { ok: true, document: await readSource(source) }
  } catch (error) {
    if (error instanceof ImportError)
      return { ok: false, reason: error.reason, detail: error.detail }
    // Anything else is a converter fault on hostile input: refused, never created.
    return {
      ok: false,
      reason: 'not-a-document',
      detail: error instanceof Error ? error.message.slice(0, 200) : String(error),
    }
  }
}
