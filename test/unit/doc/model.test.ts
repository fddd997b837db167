import { describe, expect, it } from 'vitest'
import { prosemirrorJSONToYXmlFragment, yXmlFragmentToProsemirrorJSON } from '@tiptap/y-tiptap'
import * as Y from 'yjs'
import { BODY_FRAGMENT, bodyOf, createDoc } from '../../../src/doc/model'
import { documentSchema } from '../../../src/editor/extensions'

describe('document model', () => {
  it('[DOC-1] the body is the XmlFragment named "body", and it round-trips the shared schema', () => {
    const doc = createDoc()
    expect(bodyOf(doc)).toBe(doc.getXmlFragment('body'))
    expect(BODY_FRAGMENT).toBe('body')
    const content = {
      type: 'doc',
      content: [
        { type: 'heading', attrs: { level: 2 }, content: [{ type: 'text', text: 'Plan' }] },
        {
          type: 'taskList',
          content: [
            {
              type: 'taskItem',
              attrs: { checked: true },
              content: [{ type: 'paragraph', content: [{ type: 'text', text: 'done' }] }],
            },
          ],
        },
      ],
    }
    prosemirrorJSONToYXmlFragment(documentSchema(), content, bodyOf(doc))
    // Another peer reads the same body through the update alone.
    const other = new Y.Doc()
    Y.applyUpdate(other, Y.encodeStateAsUpdate(doc))
    const back = yXmlFragmentToProsemirrorJSON(bodyOf(other)) as { content: unknown[] }
    expect(documentSchema().nodeFromJSON(back).toJSON()).toEqual(
      documentSchema().nodeFromJSON(content).toJSON(),
    )
  })
})
