// Why an import was refused (rule XFER-7): a closed set, each with one message in the UI
// (src/ui/import-panel.ts). Nothing is created for any of them.

export type ImportProblem =
  | 'file-too-large' // over MAX_IMPORT_BYTES: refused before reading
  | 'empty-file' // zero bytes
  | 'unsupported-type' // not .md, .markdown, .html, .htm, .json or .meshpad
  | 'unreadable' // the browser could not read the file
  | 'not-text' // a Markdown, HTML or JSON file that is not UTF-8 text
  | 'malformed-json' // a .json file that does not parse
  | 'not-a-document' // parses, but is not a document of Meshpad's schema
  | 'not-a-meshpad-file' // a .meshpad file without the MESHPAD header
  | 'unsupported-version' // a .meshpad file of a format version this build does not read
  | 'truncated' // a .meshpad file cut short
  | 'damaged' // a .meshpad file whose metadata or Yjs state does not decode
  | 'active-content' // scripts, event handlers or script links (javascript:, data:, vbscript:)
  | 'storage-failed' // the new document could not be stored in this browser

export class ImportError extends Error {
  constructor(
    readonly reason: ImportProblem,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`)
    this.name = 'ImportError'
  }
}

/** Files larger than this are refused from their size alone, before a byte is read. */
export const MAX_IMPORT_BYTES = 50 * 1024 * 1024
