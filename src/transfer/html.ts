import type { JSONContent } from '@tiptap/core'
import { generateHTML, generateJSON } from '@tiptap/html'
import DOMPurify, { type Config, type DOMPurify as Purifier } from 'dompurify'
import { schemaExtensions } from '../editor/extensions'
import { isScriptUrl } from './document'
import { ImportError } from './problems'

// HTML export and import through @tiptap/html (the schema's own parse and render rules) and
// DOMPurify. Import never gives HTML to a live document: DOMPurify and @tiptap/html both parse
// with DOMParser, whose documents run no script, load nothing and fire no handler. A file that
// held active content (a script, an embedded frame or object, an event handler, a javascript:
// link) is refused with the reason (rule XFER-7) rather than quietly cleaned.

// DOMPurify's default minus every scheme but http, https and mailto: the expression is applied
// to every attribute value, so values without a scheme ("4", "checkbox") must pass. Relative
// links pass here and are dropped with the link policy (src/transfer/document.ts).
const ALLOWED_URI = /^(?:(?:https?|mailto):|[^a-z]|[a-z+.-]+(?:[^a-z+.\-:]|$))/i
const ACTIVE_ELEMENTS = new Set([
  'script',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'base',
  'portal',
])
const URL_ATTRIBUTES = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'data'])

let purifier: Purifier | null = null

function purify(): Purifier {
  // Bound to this realm's window on first use (in Node tests, the test environment's DOM).
  purifier ??= DOMPurify(window)
  return purifier
}

/** What DOMPurify removed that would have run, as short descriptions. */
function activeContent(removed: Purifier['removed']): string[] {
  const found: string[] = []
  for (const item of removed) {
    if ('element' in item) {
      const name = item.element.nodeName.toLowerCase()
      if (ACTIVE_ELEMENTS.has(name)) found.push(`<${name}>`)
    } else if (item.attribute !== null) {
      const name = item.attribute.name.toLowerCase()
      if (name.startsWith('on')) found.push(`an ${name} handler`)
      else if (URL_ATTRIBUTES.has(name) && isScriptUrl(item.attribute.value)) {
        found.push(`a ${item.attribute.value.trim().slice(0, 11)}… ${name}`)
      }
    }
  }
  return [...new Set(found)]
}

/**
 * Reads an HTML file (a whole page or a fragment) into ProseMirror JSON.
 * Throws ImportError `active-content` when the file held anything that runs.
 */
export function fromHtml(html: string): JSONContent {
  const sanitizer = purify()
  const config: Config = {
    WHOLE_DOCUMENT: true,
    FORBID_TAGS: ['style'],
    ALLOWED_URI_REGEXP: ALLOWED_URI,
    ADD_ATTR: ['target'],
  }
  const clean = sanitizer.sanitize(html, config)
  const active = activeContent(sanitizer.removed)
  if (active.length > 0) {
    throw new ImportError('active-content', active.slice(0, 3).join(', '))
  }
  return generateJSON(clean, schemaExtensions())
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
}

// Inline, so the file is one self-contained page; the policy forbids everything else.
const PAGE_STYLE = `
body { font: 16px/1.6 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1f2328; max-width: 760px; margin: 32px auto; padding: 0 20px; }
pre { background: #f6f8fa; padding: 10px 12px; border-radius: 6px; overflow-x: auto; }
code { background: #f6f8fa; padding: 1px 4px; border-radius: 4px; font-size: 0.92em; }
pre code { background: none; padding: 0; }
blockquote { border-left: 3px solid #d0d7de; margin-left: 0; padding-left: 14px; color: #656d76; }
ul[data-type='taskList'] { list-style: none; padding-left: 4px; }
ul[data-type='taskList'] li { display: flex; gap: 8px; }
ul[data-type='taskList'] li > label { user-select: none; }
hr { border: none; border-top: 2px solid #d0d7de; margin: 20px 0; }
a { color: #1971c2; }
`.trim()

/** A standalone, sanitised HTML page of the document. */
export function toHtmlFile(doc: JSONContent, title: string): string {
  const body = purify().sanitize(generateHTML(doc, schemaExtensions()), {
    ALLOWED_URI_REGEXP: ALLOWED_URI,
    ADD_ATTR: ['target'],
  })
  return [
    '<!doctype html>',
    '<html>',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="Meshpad">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>\n${PAGE_STYLE}\n</style>`,
    '</head>',
    '<body>',
    body,
    '</body>',
    '</html>',
    '',
  ].join('\n')
}
