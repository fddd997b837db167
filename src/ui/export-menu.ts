import type { Editor } from '@tiptap/core'
import type * as Y from 'yjs'
import type * as ExportModule from '../transfer/export'
import type { ExportFile } from '../transfer/export'
import { flatten } from '../editor/chunks'
import { h } from './dom'

// The converters (Markdown, HTML, DOMPurify) are loaded when the menu is first opened, not with
// the app: opening a document does not pay for them (bench B7).
type Exporters = typeof ExportModule
let exporters: Promise<Exporters> | null = null
const loadExporters = (): Promise<Exporters> => (exporters ??= import('../transfer/export'))

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
  menu.addEventListener('toggle', () => {
    if (menu.open) void loadExporters()
  })
  const item = (
    testId: string,
    label: string,
    make: (exporters: Exporters) => ExportFile | null,
  ): HTMLElement =>
    h(
      'button',
      {
        type: 'button',
        class: 'ghost',
        'data-testid': testId,
        onclick: () => {
          void loadExporters().then(
            (loaded) => {
              const file = make(loaded)
              if (file === null) {
                deps.notify('The document is still opening.')
                return
              }
              download(file)
              menu.open = false
            },
            () => deps.notify('Export could not be loaded: check the connection and try again.'),
          )
        },
      },
      label,
    )
  const fromEditor =
    (
      pick: (
        exporters: Exporters,
      ) => (json: ReturnType<Editor['getJSON']>, title: string) => ExportFile,
    ) =>
    (loaded: Exporters): ExportFile | null => {
      const editor = deps.editor()
      // The flat document, as Yjs holds it: the editor's chunks are not content.
      const json = editor && (flatten(editor.state.doc).toJSON() as ReturnType<Editor['getJSON']>)
      return json === null ? null : pick(loaded)(json, deps.title())
    }
  menu.append(
    h('summary', { class: 'export-summary' }, 'Export'),
    h(
      'div',
      { class: 'export-items', role: 'menu' },
      item(
        'export-markdown',
        'Markdown (.md)',
        fromEditor((m) => m.exportMarkdown),
      ),
      item(
        'export-html',
        'Web page (.html)',
        fromEditor((m) => m.exportHtml),
      ),
      item(
        'export-json',
        'ProseMirror JSON (.json)',
        fromEditor((m) => m.exportJson),
      ),
      item('export-yjs', 'Meshpad file with history (.meshpad)', (m) =>
        m.exportMeshpad(deps.doc, deps.title()),
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
