import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import { AutoVersions } from '../../../src/doc/auto-versions'
import { bodyOf, createDoc } from '../../../src/doc/model'
import { BODY_ORIGIN } from '../../../src/doc/pm-bridge'
import { listVersions, saveVersion } from '../../../src/doc/versions'

function type(doc: Y.Doc, text: string, origin: unknown = BODY_ORIGIN): void {
  doc.transact(() => {
    const paragraph = new Y.XmlElement('paragraph')
    paragraph.insert(0, [new Y.XmlText(text)])
    bodyOf(doc).push([paragraph])
  }, origin)
}

describe('automatic versions', () => {
  it('[VERSION-1] one version per interval of local editing, none for remote changes', () => {
    let now = 1_000_000
    const doc = createDoc()
    const auto = new AutoVersions(doc, { intervalMs: 60_000, now: () => now })
    type(doc, 'first')
    expect(listVersions(doc)).toHaveLength(0)
    now += 30_000
    type(doc, 'second')
    expect(listVersions(doc)).toHaveLength(0)
    now += 31_000
    type(doc, 'third')
    expect(listVersions(doc).map((v) => v.kind)).toEqual(['auto'])
    now += 120_000
    type(doc, 'from a peer', 'remote')
    expect(listVersions(doc)).toHaveLength(1)
    auto.destroy()
  })

  it('[VERSION-1] a version another peer saved recently stands for this interval too', () => {
    let now = 1_000_000
    const doc = createDoc()
    const auto = new AutoVersions(doc, { intervalMs: 60_000, now: () => now })
    type(doc, 'a')
    now += 50_000
    saveVersion(doc, { kind: 'auto', at: now })
    now += 20_000
    type(doc, 'b')
    expect(listVersions(doc)).toHaveLength(1)
    auto.destroy()
  })

  it('[VERSION-1] the last editor leaving saves a version, only if it edited and something changed', () => {
    const doc = createDoc()
    const watcher = new AutoVersions(doc, { now: () => 5 })
    type(doc, 'typed elsewhere', 'remote')
    watcher.leave(true)
    expect(listVersions(doc)).toHaveLength(0)
    const editor = new AutoVersions(doc, { now: () => 6 })
    type(doc, 'typed here')
    editor.leave(false)
    expect(listVersions(doc)).toHaveLength(0)
    editor.leave(true)
    expect(listVersions(doc).map((v) => v.kind)).toEqual(['auto'])
    editor.leave(true)
    expect(listVersions(doc)).toHaveLength(1)
  })
})
