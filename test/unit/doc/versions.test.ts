import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import { loadTrace } from '../../../bench/lib/trace'
import { bodyOf, createDoc } from '../../../src/doc/model'
import { syncDocs } from '../../helpers/seeded-body'
import {
  applyRestore,
  changedSinceLastVersion,
  listVersions,
  renameVersion,
  restoreUpdate,
  saveVersion,
  versionDoc,
} from '../../../src/doc/versions'

// Versions kept inside the document (VERSION-1..6), on plain Y.Docs shaped like the editor's:
// a body fragment of paragraphs holding text.

function paragraphText(doc: Y.Doc): string[] {
  return bodyOf(doc)
    .toArray()
    .map((node) => (node instanceof Y.XmlElement ? node.toArray().map(String).join('') : ''))
}

function text(doc: Y.Doc): Y.XmlText {
  const body = bodyOf(doc)
  if (body.length === 0) {
    const paragraph = new Y.XmlElement('paragraph')
    paragraph.insert(0, [new Y.XmlText()])
    body.insert(0, [paragraph])
  }
  return (body.get(0) as Y.XmlElement).get(0) as Y.XmlText
}

const sync = syncDocs

describe('versions', () => {
  it('[VERSION-1] a saved version lists newest first with its kind, time, name and authors', () => {
    const doc = createDoc()
    text(doc).insert(0, 'first draft')
    const one = saveVersion(doc, { kind: 'manual', at: 1000, nameOf: () => 'Ada' })
    text(doc).insert(0, 'More. ')
    const two = saveVersion(doc, { kind: 'auto', at: 2000 })
    renameVersion(doc, one.id, 'Before review')
    const list = listVersions(doc)
    expect(list.map((v) => [v.id, v.kind, v.at, v.name])).toEqual([
      [two.id, 'auto', 2000, ''],
      [one.id, 'manual', 1000, 'Before review'],
    ])
    expect(list[1]?.authors).toEqual(['Ada'])
  })

  it('[VERSION-2] a version shows the document as it was, deletions included', () => {
    const doc = createDoc()
    text(doc).insert(0, 'Hello brave new world')
    const v1 = saveVersion(doc, { kind: 'manual', at: 1 })
    text(doc).delete(6, 6)
    text(doc).insert(0, '>> ')
    const v2 = saveVersion(doc, { kind: 'manual', at: 2 })
    text(doc).insert(text(doc).length, '!')
    expect(paragraphText(versionDoc(doc, v1.id)!)).toEqual(['Hello brave new world'])
    expect(paragraphText(versionDoc(doc, v2.id)!)).toEqual(['>> Hello new world'])
    expect(paragraphText(doc)).toEqual(['>> Hello new world!'])
  })

  it('[VERSION-4] restoring is a forward change that brings the text back', () => {
    const doc = createDoc()
    text(doc).insert(0, 'Keep this paragraph exactly.')
    const v1 = saveVersion(doc, { kind: 'manual', at: 1 })
    text(doc).delete(0, 5)
    text(doc).insert(0, 'Oops ')
    const beforeRestore = Y.encodeStateVector(doc)
    const update = restoreUpdate(doc, v1.id)
    expect(update).not.toBeNull()
    applyRestore(doc, update!)
    expect(paragraphText(doc)).toEqual(['Keep this paragraph exactly.'])
    // Forward: the state vector grew; nothing of the history was rewound.
    expect(Y.encodeStateVector(doc)).not.toEqual(beforeRestore)
    // A peer receives it like any edit.
    const peer = createDoc()
    Y.applyUpdate(peer, Y.encodeStateAsUpdate(doc))
    expect(paragraphText(peer)).toEqual(['Keep this paragraph exactly.'])
    // Restoring to what the document already is changes nothing.
    expect(restoreUpdate(doc, v1.id)).toBeNull()
  })

  it('[VERSION-5] two peers restoring the same version at once do not duplicate anything', () => {
    const a = createDoc()
    text(a).insert(0, 'The original sentence.')
    const v1 = saveVersion(a, { kind: 'manual', at: 1 })
    text(a).delete(4, 9)
    text(a).insert(text(a).length, ' Appended later.')
    const b = createDoc()
    sync(a, b)
    const fromA = restoreUpdate(a, v1.id)!
    const fromB = restoreUpdate(b, v1.id)!
    applyRestore(a, fromA)
    applyRestore(b, fromB)
    sync(a, b)
    expect(paragraphText(a)).toEqual(['The original sentence.'])
    expect(paragraphText(b)).toEqual(['The original sentence.'])
  })

  it('[VERSION-4] the restore merges with a concurrent edit and keeps it', () => {
    const a = createDoc()
    text(a).insert(0, 'Alpha beta.')
    const v1 = saveVersion(a, { kind: 'manual', at: 1 })
    text(a).insert(text(a).length, ' Gamma.')
    const b = createDoc()
    sync(a, b)
    applyRestore(a, restoreUpdate(a, v1.id)!)
    text(b).insert(0, 'New: ')
    sync(a, b)
    expect(paragraphText(a)).toEqual(['New: Alpha beta.'])
    expect(paragraphText(b)).toEqual(paragraphText(a))
  })

  it('[VERSION-6] versions made on two peers from one base both rebuild, after they sync', () => {
    const a = createDoc()
    text(a).insert(0, 'base')
    saveVersion(a, { kind: 'manual', at: 1 })
    const b = createDoc()
    sync(a, b)
    text(a).insert(4, ' from A')
    const va = saveVersion(a, { kind: 'auto', at: 2 })
    text(b).insert(0, 'B says ')
    const vb = saveVersion(b, { kind: 'auto', at: 3 })
    sync(a, b)
    text(a).insert(0, '> ')
    const vc = saveVersion(a, { kind: 'manual', at: 4 })
    sync(a, b)
    expect(paragraphText(versionDoc(b, va.id)!)).toEqual(['base from A'])
    expect(paragraphText(versionDoc(a, vb.id)!)).toEqual(['B says base'])
    expect(paragraphText(versionDoc(b, vc.id)!)).toEqual(['> B says base from A'])
  })

  it('[VERSION-3] a real editing session: every version rebuilds exactly, without gc:false', () => {
    const trace = loadTrace('friendsforever_flat')
    const doc = createDoc()
    const t = text(doc)
    const expected = new Map<string, string>()
    let edits = 0
    for (const [pos, del, ins] of trace.patches) {
      if (del > 0) t.delete(pos, del)
      if (ins !== '') t.insert(pos, ins)
      edits += 1
      if (edits % 1000 === 0) {
        const content = paragraphText(doc)[0] ?? ''
        expected.set(saveVersion(doc, { kind: 'auto', at: edits }).id, content)
      }
    }
    expect(t.toString()).toBe(trace.endContent)
    expect(expected.size).toBe(Math.floor(trace.patches.length / 1000))
    for (const [id, content] of expected) {
      expect(paragraphText(versionDoc(doc, id)!)).toEqual([content])
    }
    expect(changedSinceLastVersion(doc)).toBe(trace.patches.length % 1000 !== 0)
    // The document keeps no history of its own: gc stays on.
    expect(doc.gc).toBe(true)
  })
})
