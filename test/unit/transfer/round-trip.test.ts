// @vitest-environment jsdom
import type { JSONContent } from '@tiptap/core'
import { describe, expect, it } from 'vitest'
import { createDoc } from '../../../src/doc/model'
import { readBody, writeBody } from '../../../src/doc/pm-bridge'
import { documentSchema } from '../../../src/editor/extensions'
import {
  exportHtml,
  exportJson,
  exportMarkdown,
  exportMeshpad,
  type ExportFile,
} from '../../../src/transfer/export'
import { readImport } from '../../../src/transfer/import'
import { decodeMeshpadFile } from '../../../src/transfer/meshpad-file'
import { EVERY_NODE_AND_MARK, source, unused } from './fixtures'

// Export then import gives an equal ProseMirror document, for every node and mark of the
// schema, through every format (rule XFER-6). jsdom stands in for the browser's DOM, which
// DOMPurify and the HTML converters need (DOMPurify is tested against jsdom upstream).

const schema = documentSchema()
const original = schema.nodeFromJSON(EVERY_NODE_AND_MARK)
const originalJson = original.toJSON() as JSONContent

function asBytes(file: ExportFile): Uint8Array {
  return typeof file.data === 'string' ? new TextEncoder().encode(file.data) : file.data
}

async function reimport(file: ExportFile): Promise<unknown> {
  const result = await readImport(source(file.filename, asBytes(file)))
  if (!result.ok) throw new Error(`import refused: ${result.reason} (${result.detail})`)
  return result.document.body.toJSON()
}

describe('export then import', () => {
  it('[XFER-6] the fixture holds every node and mark of the schema', () => {
    original.check()
    expect(unused(original, schema)).toEqual([])
  })

  it('[XFER-1] [XFER-6] Markdown: GitHub-flavoured, task lists included, and back', async () => {
    const file = exportMarkdown(originalJson, 'Quarterly report')
    expect(file.filename).toBe('Quarterly report.md')
    const text = file.data as string
    expect(text).toContain('# Quarterly report\n')
    expect(text).toContain('- [x] done')
    expect(text).toContain('- [ ] to do')
    expect(text).toContain('~~struck~~')
    expect(text).toContain('```ts\n')
    expect(text).toContain('[link](https://example.com/a_b?c=d&e=f)')
    expect(await reimport(file)).toEqual(originalJson)
  })

  it('[XFER-2] [XFER-6] HTML: a standalone, sanitised page, and back', async () => {
    const file = exportHtml(originalJson, 'Q3 <report> & "more"')
    const html = file.data as string
    expect(html.startsWith('<!doctype html>')).toBe(true)
    expect(html).toContain('<meta charset="utf-8">')
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`)
    expect(html).toContain('<title>Q3 &lt;report&gt; &amp; &quot;more&quot;</title>')
    expect(html).toContain('<h1>Quarterly report</h1>')
    expect(html).toContain('data-type="taskList"')
    expect(html).not.toMatch(/<script|<link|<iframe|\ssrc=|\son[a-z]+=|javascript:/i)
    expect(await reimport(file)).toEqual(originalJson)
  })

  it('[XFER-3] [XFER-6] JSON: the ProseMirror document, and back', async () => {
    const file = exportJson(originalJson, 'x')
    expect(JSON.parse(file.data as string)).toEqual(originalJson)
    expect(await reimport(file)).toEqual(originalJson)
  })

  it('[XFER-4] [XFER-6] .meshpad: the Yjs state behind a header, and back', async () => {
    const doc = createDoc()
    readBody(doc, schema)
    writeBody(doc, schema, original)
    const file = exportMeshpad(doc, 'Quarterly report', new Date('2026-01-02T03:04:05Z'))
    expect(file.filename).toBe('Quarterly report.meshpad')
    const decoded = decodeMeshpadFile(asBytes(file))
    expect(decoded.version).toBe(1)
    expect(decoded.metadata).toEqual({
      title: 'Quarterly report',
      exportedAt: '2026-01-02T03:04:05.000Z',
    })
    expect(await reimport(file)).toEqual(originalJson)
  })

  it('[XFER-6] an empty document round-trips through every format', async () => {
    const empty: JSONContent = { type: 'doc', content: [{ type: 'paragraph' }] }
    const doc = createDoc()
    readBody(doc, schema)
    for (const file of [
      exportMarkdown(empty, ''),
      exportHtml(empty, ''),
      exportJson(empty, ''),
      exportMeshpad(doc, ''),
    ]) {
      expect(file.filename.startsWith('document.')).toBe(true)
      expect(await reimport(file)).toEqual(empty)
    }
  })
})
