import type { JSONContent } from '@tiptap/core'
import * as Y from 'yjs'
import { toHtmlFile } from './html'
import { toMarkdown } from './markdown'
import { encodeMeshpadFile, MESHPAD_EXTENSION } from './meshpad-file'

// A document as a file to download (rules XFER-1..4). Markdown, HTML and JSON are made from the
// ProseMirror document the editor shows; `.meshpad` carries the Y.Doc's whole state.

export type ExportFormat = 'markdown' | 'html' | 'json' | 'meshpad'

export interface ExportFile {
  readonly filename: string
  readonly mimeType: string
  readonly data: string | Uint8Array
}

/** A file name from the title: no path separators, control or reserved characters. */
export function exportFileName(title: string, extension: string): string {
  const base = title
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f<>:"/\\|?*]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\.+/, '')
    .slice(0, 80)
    .trim()
  return `${base === '' ? 'document' : base}${extension}`
}

export function exportMarkdown(doc: JSONContent, title: string): ExportFile {
  return {
    filename: exportFileName(title, '.md'),
    mimeType: 'text/markdown;charset=utf-8',
    data: toMarkdown(doc),
  }
}

export function exportHtml(doc: JSONContent, title: string): ExportFile {
  return {
    filename: exportFileName(title, '.html'),
    mimeType: 'text/html;charset=utf-8',
    data: toHtmlFile(doc, title),
  }
}

export function exportJson(doc: JSONContent, title: string): ExportFile {
  return {
    filename: exportFileName(title, '.json'),
    mimeType: 'application/json',
    data: `${JSON.stringify(doc, null, 2)}\n`,
  }
}

export function exportMeshpad(doc: Y.Doc, title: string, now: Date = new Date()): ExportFile {
  return {
    filename: exportFileName(title, MESHPAD_EXTENSION),
    mimeType: 'application/octet-stream',
    data: encodeMeshpadFile({ title, exportedAt: now.toISOString() }, Y.encodeStateAsUpdateV2(doc)),
  }
}
