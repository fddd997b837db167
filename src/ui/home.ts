import { displayTitle, type CatalogEntry, type DocumentCatalog } from '../doc/catalog'
import { UNTITLED } from '../doc/title'
import { documentHash, newDocAddress } from '../share/link'
import { renderBackupPanel, type BackupPort } from './backup-panel'
import { h } from './dom'
import { createImportPanel, type ImportPanelDeps } from './import-panel'

// The home page (rules LIST-1..3): create a document, open a recent one, rename it, remove it
// from this browser after an inline confirmation.

export interface HomeDeps {
  readonly catalog: DocumentCatalog
  readonly removeLocalCopy: (entry: CatalogEntry) => Promise<void>
  readonly navigate: (hash: string) => void
  /** Import a file as a new document (rules XFER-5, XFER-7); no import control when absent. */
  readonly importDocument?: ImportPanelDeps['importDocument']
  readonly notify?: (message: string) => void
  /** Backup and restore of every document (rules BACKUP-1..7); no panel when absent. */
  readonly backup?: BackupPort
}

function relativeTime(then: number, now = Date.now()): string {
  const minutes = Math.round((now - then) / 60_000)
  if (minutes < 1) return 'just now'
  if (minutes < 60) return `${minutes} min ago`
  const hours = Math.round(minutes / 60)
  if (hours < 24) return `${hours} h ago`
  return new Date(then).toLocaleDateString()
}

export function renderHome(root: HTMLElement, deps: HomeDeps): () => void {
  const list = h('ul', {
    class: 'doc-list',
    'data-testid': 'document-list',
    'aria-label': 'Your documents',
  })
  const importPanel = deps.importDocument
    ? createImportPanel({
        importDocument: deps.importDocument,
        navigate: deps.navigate,
        notify: deps.notify ?? (() => {}),
      })
    : null
  // The page's one problem place (data-testid=problem): the import control's, or its own.
  const problem =
    importPanel?.problem ??
    h('div', { class: 'problem', 'data-testid': 'problem', role: 'alert', hidden: true })
  // Dropping a file on the list imports it too.
  importPanel?.acceptDrops(list)
  const create = h(
    'button',
    {
      class: 'primary',
      'data-testid': 'new-document',
      onclick: () => {
        const address = newDocAddress()
        deps.catalog.touch(address)
        deps.navigate(documentHash(address))
      },
    },
    'New document',
  )

  const row = (entry: CatalogEntry): HTMLLIElement => {
    const item = h('li', {
      class: 'doc-item',
      'data-testid': 'document-item',
      'data-doc-id': entry.docId,
    })
    const showNormal = (): void => {
      item.replaceChildren(
        h(
          'a',
          { class: 'doc-link', href: documentHash(entry), 'data-testid': 'document-title' },
          displayTitle(entry) || UNTITLED,
        ),
        h('span', { class: 'doc-meta' }, relativeTime(entry.openedAt)),
        h(
          'button',
          { class: 'ghost', 'data-testid': 'rename-document', onclick: showRename },
          'Rename',
        ),
        h(
          'button',
          { class: 'ghost danger', 'data-testid': 'remove-document', onclick: showConfirm },
          'Remove',
        ),
      )
    }
    const showRename = (): void => {
      const input = h('input', {
        class: 'rename-input',
        'data-testid': 'rename-input',
        'aria-label': 'New name (empty to use the document’s own title)',
        value: entry.customTitle ?? displayTitle(entry),
        maxlength: 200,
      })
      const save = (): void => deps.catalog.rename(entry.docId, input.value)
      input.addEventListener('keydown', (event) => {
        if (event.key === 'Enter') save()
        if (event.key === 'Escape') showNormal()
      })
      item.replaceChildren(
        input,
        h('button', { class: 'primary', 'data-testid': 'rename-save', onclick: save }, 'Save'),
        h('button', { class: 'ghost', onclick: showNormal }, 'Cancel'),
      )
      input.focus()
      input.select()
    }
    const showConfirm = (): void => {
      item.replaceChildren(
        h(
          'span',
          { class: 'confirm-text' },
          `Remove “${displayTitle(entry) || UNTITLED}” from this browser? Copies held by others are not affected.`,
        ),
        h(
          'button',
          {
            class: 'danger',
            'data-testid': 'confirm-remove',
            onclick: () => {
              deps.catalog.remove(entry.docId)
              void deps.removeLocalCopy(entry)
            },
          },
          'Remove',
        ),
        h('button', { class: 'ghost', onclick: showNormal }, 'Cancel'),
      )
    }
    showNormal()
    return item
  }

  const refresh = (): void => {
    const entries = deps.catalog.list()
    list.replaceChildren(
      ...(entries.length > 0
        ? entries.map(row)
        : [
            h(
              'li',
              { class: 'empty' },
              'No documents yet. Create one, or open a link someone shared with you.',
            ),
          ]),
    )
  }

  root.replaceChildren(
    h(
      'main',
      { class: 'home' },
      h(
        'header',
        { class: 'home-header' },
        h('h1', {}, 'Meshpad'),
        h('div', { class: 'home-actions' }, importPanel?.element ?? null, create),
      ),
      problem,
      h(
        'p',
        { class: 'tagline' },
        'Write together, peer to peer. Your documents live in this browser and travel directly to the people you share them with.',
      ),
      list,
      deps.backup ? renderBackupPanel(deps.backup, problem) : null,
    ),
  )
  refresh()
  const unsubscribe = deps.catalog.subscribe(refresh)
  // Another tab may change the list.
  const onStorage = (): void => {
    deps.catalog.load()
    refresh()
  }
  window.addEventListener('storage', onStorage)
  return () => {
    unsubscribe()
    window.removeEventListener('storage', onStorage)
  }
}
