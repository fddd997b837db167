import type { AnyExtension, JSONContent } from '@tiptap/core'
import { flattenExtensions } from '@tiptap/core'
import { MarkdownManager } from '@tiptap/markdown'
import { schemaExtensions } from '../editor/extensions'

// Markdown (GitHub-flavoured, task lists included) through @tiptap/markdown, which reads and
// writes with each schema extension's own Markdown rules. A few of those rules lose content
// that a Meshpad document can hold; they are overridden here, in rendering only (the schema is
// untouched), so that export then import gives back the same document:
// - an empty paragraph after anything but another paragraph was written as nothing;
// - text at the start of a line that reads as block syntax ("1. ", "# ", "- ", "> ") came back
//   as a list, heading or quote;
// - a code block holding a line of three backticks ended early;
// - a hard break was two trailing spaces, which are lost at the end of a line's text.
// Bare URLs and e-mail addresses in plain text are escaped too: GFM would turn them into links.

/** An empty paragraph at the top level, as Tiptap writes it (its paragraph rule reads it back). */
const EMPTY_PARAGRAPH = '&nbsp;'
/**
 * An empty paragraph elsewhere (in a list item, a quote), read back below: Tiptap reads only the
 * top-level marker, and a lone `&nbsp;` in a list item comes back as that text, which a user
 * could also have typed (and `&` in text is written as `&amp;`, which reads back as `&`).
 */
const NESTED_EMPTY_PARAGRAPH = '&#160;'

/** Escapes what would start a block at the beginning of a line of paragraph text. */
function escapeLineStarts(markdown: string): string {
  return markdown
    .split('\n')
    .map((line) =>
      line
        // ATX heading, quote, bullet (-, +; `*` is escaped already), and a line of only `=` or
        // `-` (a setext underline or a thematic break).
        .replace(/^(\s*)([#>+-])(?=\s|$|#)/, '$1\\$2')
        .replace(/^(\s*)([=-])(?=[=\s-]*$)/, '$1\\$2')
        // Ordered list item: digits then `.` or `)`.
        .replace(/^(\s*\d{1,9})([.)])(?=\s|$)/, '$1\\$2')
        // Fenced code and indented code are not reachable from paragraph text: Markdown
        // paragraphs strip leading spaces, and a backtick is already escaped by the manager.
        .replace(/^(\s*)(~~~)/, '$1\\$2'),
    )
    .join('\n')
}

function longestRun(text: string, char: string): number {
  let longest = 0
  let current = 0
  for (const c of text) {
    current = c === char ? current + 1 : 0
    longest = Math.max(longest, current)
  }
  return longest
}

function markdownExtensions(): AnyExtension[] {
  // The schema's nodes and marks, flattened: plain extensions (StarterKit, keymaps, plugins)
  // carry no Markdown rules, and the manager would flatten StarterKit again and register its
  // original rules before these.
  const members = flattenExtensions(schemaExtensions()).filter(
    (extension) => extension.type === 'node' || extension.type === 'mark',
  )
  return members.map((extension) => {
    switch (extension.name) {
      case 'paragraph':
        return extension.extend({
          renderMarkdown: (node: JSONContent, helpers, context) => {
            const content = Array.isArray(node.content) ? node.content : []
            if (content.length === 0)
              return context.parentType === 'doc' ? EMPTY_PARAGRAPH : NESTED_EMPTY_PARAGRAPH
            // A break ending a block has no Markdown form: it is written as HTML.
            let end = content.length
            while (end > 0 && content[end - 1]?.type === 'hardBreak') end -= 1
            const trailing = '<br>'.repeat(content.length - end)
            return escapeLineStarts(helpers.renderChildren(content.slice(0, end))) + trailing
          },
        })
      case 'hardBreak':
        // CommonMark's backslash break survives trimming of trailing spaces (Tiptap writes two
        // spaces); a heading is one line, so a break in it is written as HTML.
        return extension.extend({
          renderMarkdown: (_node: JSONContent, _helpers, context) =>
            context.parentType === 'paragraph' ? '\\\n' : '<br>',
        })
      case 'codeBlock':
        return extension.extend({
          renderMarkdown: (node: JSONContent) => {
            const text = (node.content ?? []).map((child) => child.text ?? '').join('')
            const fence = '`'.repeat(Math.max(3, longestRun(text, '`') + 1))
            const language =
              typeof node.attrs?.['language'] === 'string' ? node.attrs['language'] : ''
            return `${fence}${language}\n${text}\n${fence}`
          },
        })
      default:
        return extension
    }
  })
}

let manager: MarkdownManager | null = null

function markdownManager(): MarkdownManager {
  if (manager === null) {
    const created = new MarkdownManager({ extensions: markdownExtensions() })
    // Plain text is escaped by the manager (its `escapeMarkdownSyntax`); GFM's extended
    // autolinks would still turn a bare URL, `www.` address or e-mail address into a link.
    const internals = created as unknown as { escapeMarkdownSyntax(text: string): string }
    const escape = internals.escapeMarkdownSyntax.bind(created)
    internals.escapeMarkdownSyntax = (text) =>
      escape(text)
        .replace(/:\/\//g, '\\://')
        .replace(/\b(www)\./gi, '$1\\.')
        .replace(/([^\s@\\])@(?=[^\s@]+\.)/g, '$1\\@')
    manager = created
  }
  return manager
}

/** The document as GitHub-flavoured Markdown, ending with a newline. */
export function toMarkdown(doc: JSONContent): string {
  const text = markdownManager().serialize(doc)
  return text.endsWith('\n') ? text : `${text}\n`
}

/** Reads the nested empty-paragraph marker back as an empty paragraph, at any depth. */
function emptyParagraphs(node: JSONContent): JSONContent {
  const content = node.content
  if (content === undefined) return node
  if (node.type === 'paragraph' && content.length === 1) {
    const only = content[0]
    if (
      only?.type === 'text' &&
      (only.marks ?? []).length === 0 &&
      only.text === NESTED_EMPTY_PARAGRAPH
    ) {
      return { type: 'paragraph' }
    }
  }
  return { ...node, content: content.map(emptyParagraphs) }
}

/**
 * Parses Markdown into ProseMirror JSON (checked against the schema by the caller). Raw HTML in
 * it is read by the schema's own parse rules through an inert DOMParser document, where a DOM
 * exists; elsewhere it stays text.
 */
export function fromMarkdown(markdown: string): JSONContent {
  return emptyParagraphs(markdownManager().parse(markdown))
}
