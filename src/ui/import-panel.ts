import { documentHash } from '../share/link'
import { IMPORT_ACCEPT } from '../transfer/accept'
import type { ImportSource } from '../transfer/import'
import type { ImportOutcome } from '../transfer/new-document'
import type { ImportProblem } from '../transfer/problems'
import { h } from './dom'

// Import on the home page (rules XFER-5, XFER-7): a file input and dropping a file on the
// document list. A file always becomes a new document, which then opens; a refused file is
// explained in the page's problem place (data-testid=problem) and nothing is created.

export const IMPORT_PROBLEM_MESSAGES: Record<ImportProblem, string> = {
  'file-too-large': 'This file is larger than 50 MB, so it was not read.',
  'empty-file': 'This file is empty: there is nothing to import.',
  'unsupported-type':
    'Meshpad imports Markdown (.md), HTML (.html), ProseMirror JSON (.json) and Meshpad (.meshpad) files; this is none of them.',
  unreadable: 'This browser could not read the file.',
  'not-text': 'This file is not text, so it cannot be the Markdown, HTML or JSON its name says.',
  'malformed-json': 'This JSON file is malformed (it may have been cut short).',
  'not-a-document': 'This file does not hold a document Meshpad can open.',
  'not-a-meshpad-file': 'This is not a Meshpad file: it lacks the Meshpad header.',
  'unsupported-version':
    'This Meshpad file was made by a newer (or unknown) version of Meshpad; update Meshpad to open it.',
  truncated: 'This Meshpad file is incomplete: it was cut short, perhaps during a download.',
  damaged: 'This Meshpad file is damaged: its document does not decode.',
  'active-content':
    'This file contains scripts or other active content, so it was not imported. Nothing in it was run.',
  'storage-failed': 'This browser would not store the new document, so it was not created.',
}

export interface ImportPanelDeps {
  readonly importDocument: (source: ImportSource) => Promise<ImportOutcome>
  readonly navigate: (hash: string) => void
  readonly notify: (message: string) => void
}

export interface ImportPanel {
  readonly element: HTMLElement
  readonly problem: HTMLElement
  /** Lets files be dropped on `target` (the document list). */
  acceptDrops(target: HTMLElement): void
}

export function createImportPanel(deps: ImportPanelDeps): ImportPanel {
  const problem = h('div', {
    class: 'problem',
    'data-testid': 'problem',
    role: 'alert',
    hidden: true,
  })
  const input = h('input', {
    type: 'file',
    class: 'import-input',
    'data-testid': 'import-file',
    accept: IMPORT_ACCEPT,
    'aria-label': 'Import a file as a new document',
  })
  const label = h('label', { class: 'import-button button-like' }, 'Import…', input)
  let busy = false

  const showProblem = (reason: ImportProblem, detail: string, name: string): void => {
    problem.replaceChildren(
      h('strong', {}, `“${name.slice(0, 80)}” was not imported. `),
      IMPORT_PROBLEM_MESSAGES[reason],
      ...(detail === '' ? [] : [h('span', { class: 'problem-detail' }, ` (${detail})`)]),
    )
    problem.setAttribute('data-reason', reason)
    problem.setAttribute('data-source', 'import')
    problem.hidden = false
  }

  const importFile = async (file: File): Promise<void> => {
    if (busy) return
    busy = true
    label.classList.add('busy')
    problem.hidden = true
    try {
      const outcome = await deps.importDocument(file)
      if (!outcome.ok) {
        showProblem(outcome.reason, outcome.detail, file.name)
        return
      }
      deps.notify(
        outcome.format === 'meshpad'
          ? `Imported “${outcome.title}” with its history as a new document, with a new link: the original link does not open this copy.`
          : `Imported “${outcome.title}” as a new document.`,
      )
      deps.navigate(documentHash(outcome.address))
    } finally {
      busy = false
      label.classList.remove('busy')
      input.value = ''
    }
  }

  input.addEventListener('change', () => {
    const file = input.files?.[0]
    if (file !== undefined) void importFile(file)
  })

  return {
    element: label,
    problem,
    acceptDrops(target) {
      const hasFiles = (event: DragEvent): boolean =>
        event.dataTransfer?.types.includes('Files') ?? false
      target.addEventListener('dragover', (event) => {
        if (!hasFiles(event)) return
        event.preventDefault()
        if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy'
        target.classList.add('drop-target')
      })
      target.addEventListener('dragleave', () => target.classList.remove('drop-target'))
      target.addEventListener('drop', (event) => {
        target.classList.remove('drop-target')
        if (!hasFiles(event)) return
        event.preventDefault()
        const file = event.dataTransfer?.files[0]
        if (file !== undefined) void importFile(file)
      })
    },
  }
}
