import { describe, expect, it } from 'vitest'
import {
  CATALOG_KEY,
  CatalogConflictError,
  DocumentCatalog,
  displayTitle,
  type KeyValueStore,
} from '../../../src/doc/catalog'
import { newDocAddress } from '../../../src/share/link'

function memoryStore(
  initial: Record<string, string> = {},
): KeyValueStore & { data: Map<string, string> } {
  const data = new Map(Object.entries(initial))
  return {
    data,
    getItem: (key) => data.get(key) ?? null,
    setItem: (key, value) => void data.set(key, value),
  }
}

describe('document catalog', () => {
  it('[LIST-1] lists opened documents, most recent first, and survives a reload', () => {
    const store = memoryStore()
    let time = 1000
    const catalog = new DocumentCatalog(store, undefined, () => time)
    const a = newDocAddress()
    const b = newDocAddress()
    catalog.touch(a)
    time = 2000
    catalog.touch(b)
    expect(catalog.list().map((entry) => entry.docId)).toEqual([b.docId, a.docId])
    time = 3000
    catalog.touch(a)
    const reloaded = new DocumentCatalog(store)
    expect(reloaded.list().map((entry) => entry.docId)).toEqual([a.docId, b.docId])
    expect(reloaded.get(a.docId)).toMatchObject({
      secret: a.secret,
      createdAt: 1000,
      openedAt: 3000,
    })
  })

  it('[DOC-2] the derived title shows unless the user renamed; an empty rename restores it', () => {
    const catalog = new DocumentCatalog(memoryStore())
    const a = newDocAddress()
    catalog.touch(a)
    catalog.setDerivedTitle(a.docId, 'Meeting notes')
    expect(displayTitle(catalog.get(a.docId)!)).toBe('Meeting notes')
    catalog.rename(a.docId, '  My notes  ')
    catalog.setDerivedTitle(a.docId, 'Meeting notes, v2')
    expect(displayTitle(catalog.get(a.docId)!)).toBe('My notes')
    catalog.rename(a.docId, '   ')
    expect(displayTitle(catalog.get(a.docId)!)).toBe('Meeting notes, v2')
    expect(catalog.get(a.docId)).not.toHaveProperty('customTitle')
  })

  it('[LIST-2] removing forgets the document and notifies subscribers', () => {
    const catalog = new DocumentCatalog(memoryStore())
    const a = newDocAddress()
    catalog.touch(a)
    let calls = 0
    catalog.subscribe(() => (calls += 1))
    catalog.remove(a.docId)
    expect(catalog.list()).toEqual([])
    expect(calls).toBe(1)
  })

  it('[LIST-3] corrupt stored data is dropped with a warning, valid entries are kept', () => {
    const good = newDocAddress()
    const stored = [
      { ...good, title: 'Good', createdAt: 1, openedAt: 2 },
      { docId: 'bad', secret: good.secret, title: 'x', createdAt: 1, openedAt: 1 },
      { ...newDocAddress(), title: 42, createdAt: 1, openedAt: 1 },
      null,
      'nonsense',
    ]
    const warnings: string[] = []
    const catalog = new DocumentCatalog(
      memoryStore({ [CATALOG_KEY]: JSON.stringify(stored) }),
      (m) => warnings.push(m),
    )
    expect(catalog.list().map((entry) => entry.title)).toEqual(['Good'])
    expect(warnings).toHaveLength(4)

    const broken = new DocumentCatalog(memoryStore({ [CATALOG_KEY]: '{not json' }), (m) =>
      warnings.push(m),
    )
    expect(broken.list()).toEqual([])
    expect(warnings.at(-1)).toMatch(/not valid JSON/)
  })

  it('[LINK-7] a link reusing a known id with another secret is refused and the known one kept', () => {
    const catalog = new DocumentCatalog(memoryStore())
    const a = newDocAddress()
    catalog.touch(a)
    const tampered = { ...a, secret: newDocAddress().secret }
    expect(catalog.conflicts(tampered)).toBe(true)
    expect(catalog.conflicts(a)).toBe(false)
    expect(() => catalog.touch(tampered)).toThrow(CatalogConflictError)
    expect(catalog.get(a.docId)?.secret).toBe(a.secret)
  })

  it('[LIST-1] another tab’s additions are not lost when this tab writes', () => {
    const store = memoryStore()
    const tab1 = new DocumentCatalog(store)
    const tab2 = new DocumentCatalog(store)
    const a = newDocAddress()
    const b = newDocAddress()
    tab1.touch(a)
    tab2.touch(b)
    expect(new DocumentCatalog(store).list()).toHaveLength(2)
  })
})
