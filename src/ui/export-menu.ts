import type { Editor } from '@tiptap/core'
import type * as Y from 'yjs'
import {
  exportHtml,
  exportJson,
  exportMarkdown,
  exportMeshpad,
  type ExportFile,
} from '../transfer/export'
import { h } from './dom'

// The document's Export menu (rules XFER-1..4, XFER-8): a download in each format, and Print,
// whose stylesheet (styles.css, @media print) leaves only the document for a clean PDF.

export interface ExportMenuDeps {
  /** The editor once the document is open; null before. */
  readonly editor: () => Editor | null
  readonly doc: Y.Doc
  readonly title: () => string
  readonly notify: (message: string) => void
}

function download(file: ExportFile): void {
  const blob = new Blob([file.data as BlobPart], { type: file.mimeType })
  const url = URL.createObjectURL(blob)
  const link = h('a', { href: url, download: file.filename, hidden: true })
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}

export function renderExportMenu(deps: ExportMenuDeps): HTMLElement {
  const menu = h('details', { class: 'export-menu', 'data-testid': 'export-menu' })
  const item = (testId: string, label: string, make: () => ExportFile | null): HTMLElement =>
    h(
      'button',
      {
        type: 'button',
        class: 'ghost',
        'data-testid': testId,
        onclick: () => {
          const file = make()
          if (file === null) {
            deps.notify('The document is still opening.')
            return
          }
          download(file)
          menu.open = false
        },
      },
      label,
    )
  const fromEditor =
    (make: (json: ReturnType<Editor['getJSON']>, title: string) => ExportFile) =>
    (): ExportFile | null => {
      const editor = deps.editor()
      return editor === null ? null : make(editor.getJSON(), deps.title())
    }
  menu.append(
    h('summary', { class: 'export-summary' }, 'Export'),
    h(
      'div',
      { class: 'export-items', role: 'menu' },
      item('export-markdown', 'Markdown (.md)', fromEditor(exportMarkdown)),
      item('export-html', 'Web page (.html)', fromEditor(exportHtml)),
      item('export-json', 'ProseMirror JSON (.json)', fromEditor(exportJson)),
      item('export-yjs', 'Meshpad file with history (.meshpad)', () =>
        exportMeshpad(deps.doc, deps.title()),
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'ghost',
          'data-testid': 'print',
          onclick: () => {
            menu.open = false
            window.print()
          },
        },
        'Print or save as PDF…',
      ),
    ),
  )
  return menu
}
