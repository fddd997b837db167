import type { JSONContent } from '@tiptap/core'
import type { Mark, Node as PMNode, Schema } from '@tiptap/pm/model'
import { Transform } from '@tiptap/pm/transform'
import { stripInlineNodeMarks } from '../editor/inline-marks'
import { isSafeLinkHref } from '../editor/link-policy'
import { ImportError } from './problems'

// What every importer's result goes through before it may become a document: it must be a
// document of the shared schema, and no link in it may point anywhere but http, https or mailto
// (rule EDIT-2). A link that runs something (javascript:, vbscript:, data:) refuses the whole
// file (rule XFER-7); any other refused target (a relative path, ftp:) loses its link and keeps
// its text, as pasting does.

// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u0020\u007f]+/g
const SCRIPT_SCHEMES = ['javascript:', 'vbscript:', 'data:']

/** A URL that runs or renders code when followed, however it is spelt (`JaVa\nScript:`). */
export function isScriptUrl(value: string): boolean {
  const compact = value.replace(INVISIBLE, '').toLowerCase()
  return SCRIPT_SCHEMES.some((scheme) => compact.startsWith(scheme))
}

function linkHref(mark: Mark): string {
  const href: unknown = mark.attrs['href']
  return typeof href === 'string' ? href : ''
}

/**
 * Checks `json` against the schema and the link policy; returns the document to store.
 * Throws ImportError (`not-a-document` or `active-content`).
 */
export function toSchemaDocument(json: unknown, schema: Schema): PMNode {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ImportError('not-a-document', 'not a JSON object')
  }
  const value = json as JSONContent
  if (value.type !== schema.topNodeType.name) {
    throw new ImportError('not-a-document', `the top node is not "${schema.topNodeType.name}"`)
  }
  // Converters return an empty document as one with no blocks, which the schema refuses.
  const filled: JSONContent =
    Array.isArray(value.content) && value.content.length > 0
      ? value
      : { ...value, content: [{ type: 'paragraph' }] }
  let doc: PMNode
  try {
    doc = schema.nodeFromJSON(filled)
    doc.check()
  } catch (error) {
    throw new ImportError(
      'not-a-document',
      error instanceof Error ? error.message.slice(0, 200) : 'not a document of this schema',
    )
  }
  return withSafeLinks(doc, schema)
}

/** Drops links the policy refuses; refuses the document if one of them would run code. */
export function withSafeLinks(doc: PMNode, schema: Schema): PMNode {
  const linkType = schema.marks['link']
  const tr = new Transform(doc)
  doc.descendants((node, pos) => {
    for (const mark of node.marks) {
      if (mark.type !== linkType) continue
      const href = linkHref(mark)
      if (isSafeLinkHref(href)) continue
      if (isScriptUrl(href)) {
        throw new ImportError('active-content', `a link to ${href.slice(0, 40)}`)
      }
      tr.removeMark(pos, pos + node.nodeSize, mark)
    }
  })
  stripInlineNodeMarks(tr)
  return tr.doc
}
