import type { DocumentCatalog } from '../doc/catalog'
import { newDocAddress, type DocAddress } from '../share/link'
import { readImport, type ImportFormat, type ImportSource } from './import'
import type { ImportProblem } from './problems'

// Import always creates a NEW document (rule XFER-5): a fresh address, the content stored in
// this browser as the document's first row, then listed. A `.meshpad` file's state gets a new
// address too: its old link keeps naming the old document, wherever that is.

export interface NewDocumentDeps {
  readonly catalog: DocumentCatalog
  /** Stores `update` as the whole local copy of a document this browser has never held. */
  readonly storeNewCopy: (address: DocAddress, update: Uint8Array) => Promise<void>
  readonly newAddress?: () => DocAddress
}

export type ImportOutcome =
  | {
      readonly ok: true
      readonly address: DocAddress
      readonly format: ImportFormat
      readonly title: string
    }
  | { readonly ok: false; readonly reason: ImportProblem; readonly detail: string }

export async function importAsNewDocument(
  source: ImportSource,
  deps: NewDocumentDeps,
): Promise<ImportOutcome> {
  const result = await readImport(source)
  if (!result.ok) return result
  const { document } = result
  const address = (deps.newAddress ?? newDocAddress)()
  try {
    await deps.storeNewCopy(address, document.update)
  } catch (error) {
    return {
      ok: false,
      reason: 'storage-failed',
      detail: error instanceof Error ? error.message.slice(0, 200) : String(error),
    }
  }
  deps.catalog.touch(address)
  deps.catalog.setDerivedTitle(address.docId, document.title)
  if (document.customTitle !== undefined) deps.catalog.rename(address.docId, document.customTitle)
  return {
    ok: true,
    address,
    format: document.format,
    title: document.customTitle ?? document.title,
  }
}
