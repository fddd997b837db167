import type { AnyExtension } from '@tiptap/core'
import { getSchema } from '@tiptap/core'
import type { Schema } from '@tiptap/pm/model'
import Code from '@tiptap/extension-code'
import Link from '@tiptap/extension-link'
import { TaskItem, TaskList } from '@tiptap/extension-list'
import StarterKit from '@tiptap/starter-kit'
import { Chunk, ChunkedDocument } from './chunks'
import { TextOnlyMarks } from './inline-marks'
import { localChangesOnly } from './local-changes-only'
import { isSafeLinkHref } from './link-policy'

// The document schema every peer shares. It must be identical everywhere (browser editor,
// Node tests, fuzz harness), so it lives in one function with no DOM dependency: anything
// view-only (collaboration, carets, placeholder) is added by the editor on top of it. The
// editor's own schema (`chunked`) differs only in grouping the top-level blocks under chunks
// (chunks.ts, BIND-6), which never leave the editor.
export function schemaExtensions(options: { readonly chunked?: boolean } = {}): AnyExtension[] {
  const chunked = options.chunked === true
  return [
    ...(chunked ? [ChunkedDocument, Chunk] : []),
    StarterKit.configure({
      document: chunked ? false : undefined,
      // Yjs owns history (Y.UndoManager via the Collaboration extension): the built-in
      // ProseMirror history would undo collaborators' changes too.
      undoRedo: false,
      heading: { levels: [1, 2, 3] },
      // Underline is not part of the feature set; TrailingNode would insert a paragraph on
      // every peer at once and fight itself under concurrent edits.
      underline: false,
      trailingNode: false,
      link: false,
      code: false,
    }),
    // Inline code combines with other marks (rule CONV-6). Tiptap's default makes `code` exclude
    // every other mark, but Yjs merges formatting one attribute at a time: concurrent `code` and
    // `bold` on the same word merge into both, which that schema rejects (convergence fuzz
    // finding F2). No merge can enforce an exclusion, so the schema must not demand one.
    Code.extend({ excludes: '' }),
    Link.extend({
      // Autolink runs where the link was typed; peers receive its result (local-changes-only.ts).
      addProseMirrorPlugins() {
        return (this.parent?.() ?? []).map(localChangesOnly)
      },
    }).configure({
      openOnClick: false,
      autolink: true,
      linkOnPaste: true,
      defaultProtocol: 'https',
      protocols: ['mailto'],
      isAllowedUri: (url) => isSafeLinkHref(url),
      shouldAutoLink: (url) => isSafeLinkHref(url) || isSafeLinkHref(`https://${url}`),
      HTMLAttributes: { rel: 'noopener noreferrer nofollow', target: '_blank' },
    }),
    TaskList,
    TaskItem.configure({ nested: true }),
    TextOnlyMarks,
  ]
}

export function documentSchema(): Schema {
  return getSchema(schemaExtensions())
}

/** The editor's schema: the document schema with its blocks under chunks. */
export function editorSchema(): Schema {
  return getSchema(schemaExtensions({ chunked: true }))
}
