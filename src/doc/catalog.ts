import { isDocId, isDocSecret, type DocId } from '../share/ids'
import type { DocAddress } from '../share/link'

// The list of documents this browser knows (rules LIST-1..3). It holds addresses, titles and
// times only; document content lives in each document's own IndexedDB database. Stored as one
// JSON value in a key-value store (localStorage in the app, a Map in tests); every entry read
// back is validated, and a corrupt entry is dropped with a warning rather than breaking the list.

export interface CatalogEntry extends DocAddress {
  /** Title derived from the document's content (first heading or first line). */
  readonly title: string
  /** A local rename; when set it wins over the derived title. */
  readonly customTitle?: string
  readonly createdAt: number
  readonly openedAt: number
}

export interface KeyValueStore {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
}

export const CATALOG_KEY = 'meshpad:catalog:v1'

/** A link reuses the id of a known document with another secret (rule LINK-7). */
export class CatalogConflictError extends Error {
  override name = 'CatalogConflictError'
}
const MAX_TITLE = 200

export function displayTitle(entry: CatalogEntry): string {
  return entry.customTitle ?? entry.title
}

function parseEntry(raw: unknown): CatalogEntry | null {
  if (typeof raw !== 'object' || raw === null) return null
  const value = raw as Record<string, unknown>
  const { docId, secret, title, customTitle, createdAt, openedAt } = value
  if (typeof docId !== 'string' || !isDocId(docId)) return null
  if (typeof secret !== 'string' || !isDocSecret(secret)) return null
  if (typeof title !== 'string' || typeof createdAt !== 'number' || typeof openedAt !== 'number') {
    return null
  }
  if (customTitle !== undefined && typeof customTitle !== 'string') return null
  return {
    docId,
    secret,
    title: title.slice(0, MAX_TITLE),
    ...(customTitle !== undefined ? { customTitle: customTitle.slice(0, MAX_TITLE) } : {}),
    createdAt,
    openedAt,
  }
}

export class DocumentCatalog {
  private entries = new Map<DocId, CatalogEntry>()
  private readonly listeners = new Set<() => void>()

  constructor(
    private readonly store: KeyValueStore,
    private readonly warn: (message: string) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {
    this.load()
  }

  /** Most recently opened first. */
  list(): CatalogEntry[] {
    return [...this.entries.values()].sort((a, b) => b.openedAt - a.openedAt)
  }

  get(docId: DocId): CatalogEntry | undefined {
    return this.entries.get(docId)
  }

  /** True when this browser knows `address.docId` under another secret (rule LINK-7). */
  conflicts(address: DocAddress): boolean {
    const existing = this.entries.get(address.docId)
    return existing !== undefined && existing.secret !== address.secret
  }

  /** Records that a document was opened (adding it if new). Never replaces a known secret. */
  touch(address: DocAddress): CatalogEntry {
    this.load()
    if (this.conflicts(address)) {
      throw new CatalogConflictError('This id belongs to another document in this browser.')
    }
    const existing = this.entries.get(address.docId)
    const time = this.now()
    const entry: CatalogEntry = existing
      ? { ...existing, openedAt: time }
      : { ...address, title: '', createdAt: time, openedAt: time }
    this.entries.set(address.docId, entry)
    this.save()
    return entry
  }

  /**
   * Adds an entry brought back from a backup as it was (titles and times). A known id keeps its
   * own entry (it only gains the backup's derived title if it had none); another secret is
   * refused (rule LINK-7).
   */
  restore(entry: CatalogEntry): 'added' | 'known' | 'conflict' {
    this.load()
    if (this.conflicts(entry)) return 'conflict'
    const existing = this.entries.get(entry.docId)
    if (existing) {
      if (existing.title === '' && entry.title !== '')
        this.setDerivedTitle(entry.docId, entry.title)
      return 'known'
    }
    const parsed = parseEntry(entry)
    if (!parsed) throw new TypeError('not a valid catalog entry')
    this.entries.set(parsed.docId, parsed)
    this.save()
    return 'added'
  }

  setDerivedTitle(docId: DocId, title: string): void {
    this.load()
    const entry = this.entries.get(docId)
    if (!entry || entry.title === title) return
    this.entries.set(docId, { ...entry, title: title.slice(0, MAX_TITLE) })
    this.save()
  }

  /** A local rename. An empty name returns the entry to its derived title. */
  rename(docId: DocId, name: string): void {
    this.load()
    const entry = this.entries.get(docId)
    if (!entry) return
    const trimmed = name.trim().slice(0, MAX_TITLE)
    const { docId: id, secret, title, createdAt, openedAt } = entry
    const base: CatalogEntry = { docId: id, secret, title, createdAt, openedAt }
    this.entries.set(docId, trimmed === '' ? base : { ...base, customTitle: trimmed })
    this.save()
  }

  remove(docId: DocId): void {
    this.load()
    if (this.entries.delete(docId)) this.save()
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Re-reads the store: another tab may have changed it. */
  load(): void {
    const raw = this.store.getItem(CATALOG_KEY)
    const next = new Map<DocId, CatalogEntry>()
    if (raw !== null) {
      let parsed: unknown
      try {
        parsed = JSON.parse(raw)
      } catch {
        this.warn('The stored document list is not valid JSON; starting an empty list.')
        parsed = []
      }
      const items: unknown[] = Array.isArray(parsed) ? parsed : []
      for (const item of items) {
        const entry = parseEntry(item)
        if (entry) next.set(entry.docId, entry)
        else this.warn('Dropped a corrupt entry from the stored document list.')
      }
    }
    this.entries = next
  }

  private save(): void {
    this.store.setItem(CATALOG_KEY, JSON.stringify([...this.entries.values()]))
    for (const listener of this.listeners) listener()
  }
}
