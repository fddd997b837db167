// @vitest-environment jsdom
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { DocumentCatalog } from '../../../src/doc/catalog'
import { bodyOf, createDoc } from '../../../src/doc/model'
import { readBody, writeBody } from '../../../src/doc/pm-bridge'
import { documentSchema } from '../../../src/editor/extensions'
import { newDocAddress, type DocAddress } from '../../../src/share/link'
import { exportMarkdown, exportMeshpad } from '../../../src/transfer/export'
import { readImport } from '../../../src/transfer/import'
import { encodeMeshpadFile } from '../../../src/transfer/meshpad-file'
import { importAsNewDocument } from '../../../src/transfer/new-document'
import { MAX_IMPORT_BYTES } from '../../../src/transfer/problems'
import { EVERY_NODE_AND_MARK, source } from './fixtures'

const schema = documentSchema()

function memoryCatalog(): DocumentCatalog {
  const map = new Map<string, string>()
  return new DocumentCatalog({
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => void map.set(key, value),
  })
}

function harness(): {
  catalog: DocumentCatalog
  stored: Map<string, Uint8Array>
  deps: Parameters<typeof importAsNewDocument>[1]
} {
  const catalog = memoryCatalog()
  const stored = new Map<string, Uint8Array>()
  return {
    catalog,
    stored,
    deps: {
      catalog,
      storeNewCopy: (address: DocAddress, update: Uint8Array) => {
        stored.set(address.docId, update)
        return Promise.resolve()
      },
    },
  }
}

async function reasonOf(name: string, data: string | Uint8Array): Promise<string> {
  const result = await readImport(source(name, data))
  return result.ok ? 'accepted' : result.reason
}

describe('import as a new document', () => {
  it('[XFER-5] a Markdown file becomes a new, listed, stored document titled by its content', async () => {
    const { catalog, stored, deps } = harness()
    const existing = newDocAddress()
    catalog.touch(existing)
    const file = exportMarkdown(EVERY_NODE_AND_MARK, 'Quarterly report')
    const outcome = await importAsNewDocument(source(file.filename, file.data), deps)
    if (!outcome.ok) throw new Error(outcome.reason)
    expect(outcome.address.docId).not.toBe(existing.docId)
    expect(outcome.format).toBe('markdown')
    expect(catalog.list().map((entry) => entry.docId)).toContain(outcome.address.docId)
    expect(catalog.get(outcome.address.docId)?.title).toBe('Quarterly report')
    // What is stored is the document's state: a fresh Y.Doc given it renders the content.
    const doc = createDoc()
    Y.applyUpdate(doc, stored.get(outcome.address.docId) ?? new Uint8Array())
    expect(readBody(doc, schema).toJSON()).toEqual(
      schema.nodeFromJSON(EVERY_NODE_AND_MARK).toJSON(),
    )
  })

  it('[XFER-5] a .meshpad file keeps its state and history under a NEW address, and its name', async () => {
    const original = createDoc()
    readBody(original, schema)
    writeBody(original, schema, schema.nodeFromJSON(EVERY_NODE_AND_MARK))
    const originalAddress = newDocAddress()
    const file = exportMeshpad(original, 'Renamed by me')
    const { catalog, stored, deps } = harness()
    catalog.touch(originalAddress)
    const outcome = await importAsNewDocument(source(file.filename, file.data), deps)
    if (!outcome.ok) throw new Error(outcome.reason)
    expect(outcome.address.docId).not.toBe(originalAddress.docId)
    expect(outcome.address.secret).not.toBe(originalAddress.secret)
    expect(outcome.format).toBe('meshpad')
    expect(catalog.get(outcome.address.docId)?.customTitle).toBe('Renamed by me')
    const copy = createDoc()
    Y.applyUpdate(copy, stored.get(outcome.address.docId) ?? new Uint8Array())
    // The same Yjs history: equal state vectors and body.
    expect(Y.encodeStateVector(copy)).toEqual(Y.encodeStateVector(original))
    expect(bodyOf(copy).toJSON()).toEqual(bodyOf(original).toJSON())
  })

  it('[XFER-7] a failed store adds nothing to the list', async () => {
    const { catalog, deps } = harness()
    const outcome = await importAsNewDocument(source('a.md', '# hi'), {
      ...deps,
      storeNewCopy: () => Promise.reject(new Error('quota')),
    })
    expect(outcome).toMatchObject({ ok: false, reason: 'storage-failed' })
    expect(catalog.list()).toEqual([])
  })
})

describe('bad input is refused with a reason and nothing is created', () => {
  it('[XFER-7] too large: refused from its size, before reading', async () => {
    const { catalog, stored, deps } = harness()
    let read = false
    const outcome = await importAsNewDocument(
      {
        name: 'huge.md',
        size: MAX_IMPORT_BYTES + 1,
        arrayBuffer: () => {
          read = true
          return Promise.resolve(new ArrayBuffer(0))
        },
      },
      deps,
    )
    expect(outcome).toMatchObject({ ok: false, reason: 'file-too-large' })
    expect(read).toBe(false)
    expect(catalog.list()).toEqual([])
    expect(stored.size).toBe(0)
  })

  it('[XFER-7] wrong type, empty, not text, malformed or foreign JSON', async () => {
    expect(await reasonOf('photo.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toBe(
      'unsupported-type',
    )
    expect(await reasonOf('notes', 'x')).toBe('unsupported-type')
    expect(await reasonOf('empty.md', '')).toBe('empty-file')
    expect(await reasonOf('binary.md', new Uint8Array([0xff, 0xfe, 0x00, 0x41]))).toBe('not-text')
    expect(await reasonOf('nul.html', 'a\u0000b')).toBe('not-text')
    expect(await reasonOf('cut.json', '{"type":"doc","content":[{"type":"para')).toBe(
      'malformed-json',
    )
    expect(await reasonOf('array.json', '[1,2]')).toBe('not-a-document')
    expect(await reasonOf('other.json', '{"type":"doc","content":[{"type":"image"}]}')).toBe(
      'not-a-document',
    )
    expect(
      await reasonOf('invalid.json', '{"type":"doc","content":[{"type":"text","text":"x"}]}'),
    ).toBe('not-a-document')
    expect(await reasonOf('fake.meshpad', '# markdown renamed')).toBe('not-a-meshpad-file')
  })

  it('[XFER-7] a .meshpad whose state is garbage, or refers to changes it lacks, is damaged', async () => {
    const meta = { title: 't', exportedAt: '2026-01-01T00:00:00.000Z' }
    expect(
      await reasonOf('x.meshpad', encodeMeshpadFile(meta, new Uint8Array([255, 255, 255]))),
    ).toBe('damaged')
    // An update from a second client that builds on a first client's changes it does not carry.
    const a = createDoc()
    a.getText('t').insert(0, 'abc')
    const b = createDoc()
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
    const before = Y.encodeStateVector(b)
    b.getText('t').insert(3, 'def')
    const dangling = Y.encodeStateAsUpdateV2(b, before)
    expect(await reasonOf('x.meshpad', encodeMeshpadFile(meta, dangling))).toBe('damaged')
  })

  it('[XFER-7] hostile HTML is refused with the reason, whatever form the script takes', async () => {
    const hostile = [
      '<p>hi</p><script>window.pwned = 1</script>',
      '<html><head><script src="https://evil.example/x.js"></script></head><body>hi</body></html>',
      '<img src="x" onerror="window.pwned = 1">',
      '<p onclick="window.pwned = 1">hi</p>',
      '<svg onload="window.pwned = 1"></svg>',
      '<a href="javascript:window.pwned = 1">x</a>',
      '<a href=" JaVa&#10;ScRiPt:window.pwned = 1">x</a>',
      '<a href="data:text/html,<script>1</script>">x</a>',
      '<iframe src="https://example.com"></iframe>',
      '<object data="x.swf"></object>',
    ]
    for (const html of hostile) {
      expect(await reasonOf('page.html', html), html).toBe('active-content')
    }
    expect((globalThis as { pwned?: unknown }).pwned).toBeUndefined()
  })

  it('[XFER-7] [EDIT-2] script links are refused in every format; other refused links lose the link only', async () => {
    expect(await reasonOf('a.md', '[x](javascript:alert(1))')).toBe('active-content')
    const json = JSON.stringify({
      type: 'doc',
      content: [
        {
          type: 'paragraph',
          content: [
            { type: 'text', text: 'x', marks: [{ type: 'link', attrs: { href: 'javascript:1' } }] },
          ],
        },
      ],
    })
    expect(await reasonOf('a.json', json)).toBe('active-content')
    const relative = await readImport(source('a.html', '<p><a href="notes.html">notes</a></p>'))
    expect(relative.ok && relative.document.body.toJSON()).toEqual({
      type: 'doc',
      content: [{ type: 'paragraph', content: [{ type: 'text', text: 'notes' }] }],
    })
  })

  it('[XFER-7] harmless HTML from elsewhere is reduced to the schema, not refused', async () => {
    const result = await readImport(
      source(
        'page.html',
        '<html><head><title>t</title><style>p{}</style><meta name="x"></head><body><div><h2>Hello</h2><p style="color:red">a <u>b</u> <span>c</span></p><img src="https://e.com/a.png"></div></body></html>',
      ),
    )
    expect(result.ok && result.document.body.toJSON()).toEqual({
      type: 'doc',
      content: [
        { type: 'heading', attrs: { level: 2 }, content: [{ type: 'text', text: 'Hello' }] },
        { type: 'paragraph', content: [{ type: 'text', text: 'a b c' }] },
      ],
    })
  })
})
