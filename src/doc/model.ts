import * as Y from 'yjs'

// The shape of a Meshpad document inside its Y.Doc. Every peer, test and tool reads the body
// through these names; renaming one is a breaking change of the stored and wire format.

/** The Y.XmlFragment the Tiptap/ProseMirror binding edits. */
export const BODY_FRAGMENT = 'body'

/** Creates an empty document. `gc` stays on: Meshpad keeps no per-character history. */
export function createDoc(): Y.Doc {
  return new Y.Doc({ gc: true })
}

export function bodyOf(doc: Y.Doc): Y.XmlFragment {
  return doc.getXmlFragment(BODY_FRAGMENT)
}

/**
 * Node names an editor uses for its own structure and never writes into a body (the editor's
 * chunks of blocks, src/editor/chunks.ts). An element of the body with one of these names is not
 * content: it is rejected as one the schema does not know (THREAT-12).
 */
export const EDITOR_ONLY_NODES: ReadonlySet<string> = new Set(['chunk'])
