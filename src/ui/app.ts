import type { CatalogEntry, DocumentCatalog } from '../doc/catalog'
import type { PeerIdentity } from '../editor/create-editor'
import { parseAccessHash, type DocAccess } from '../share/access'
import { ShareLinkError, type DocAddress } from '../share/link'
import type { DocumentSession } from '../sync/port'
import type { ImportSource } from '../transfer/import'
import type { ImportOutcome } from '../transfer/new-document'
import type { BackupPort } from './backup-panel'
import type { ConfigurationProblem } from '../sync/configuration'
import { renderConfigurationProblem } from './configuration-problem'
import { h } from './dom'
import { renderDocument } from './document-view'
import { renderHome } from './home'

// The app shell: a hash router between the document list and one open document. The route is
// the fragment, so the secret never leaves the browser (rule LINK-1).

export interface AppDeps {
  readonly root: HTMLElement
  /** An unusable start-up setting: shown in place of the app, and nothing opens (SYNC-3). */
  readonly configurationProblem?: ConfigurationProblem | null
  readonly catalog: DocumentCatalog
  readonly openSession: (access: DocAccess) => DocumentSession
  readonly removeLocalCopy: (entry: CatalogEntry) => Promise<void>
  /** The full link for a hash route (`#/d/...` or `#/v/...`). */
  readonly shareLink: (hash: string) => string
  /** Stores a document carried over to a new link (MOVE-7); no move is offered without it. */
  readonly newCopy?: (state: Uint8Array, title: string) => Promise<DocAddress>
  readonly identity: () => PeerIdentity
  readonly setIdentity: (identity: PeerIdentity) => void
  /** Imports a file as a new document (rule XFER-5); the home page has no import without it. */
  readonly importDocument?: (source: ImportSource) => Promise<ImportOutcome>
  /** Backup and restore of every document on the home page. */
  readonly backup?: BackupPort
}

export function startApp(deps: AppDeps): void {
  if (deps.configurationProblem) {
    deps.root.replaceChildren(renderConfigurationProblem(deps.configurationProblem))
    return
  }
  const view = h('div', { class: 'view' })
  const toast = h('div', { class: 'toast', role: 'status', 'data-testid': 'toast', hidden: true })
  deps.root.replaceChildren(view, toast)
  let toastTimer: ReturnType<typeof setTimeout> | undefined
  const notify = (message: string): void => {
    toast.textContent = message
    toast.hidden = false
    clearTimeout(toastTimer)
    toastTimer = setTimeout(() => (toast.hidden = true), 4000)
  }
  const navigate = (hash: string): void => {
    window.location.hash = hash
  }

  let teardown: () => void | Promise<void> = () => {}
  let routing = Promise.resolve()

  const route = async (): Promise<void> => {
    await teardown()
    teardown = () => {}
    let access: DocAccess | null
    try {
      access = parseAccessHash(window.location.hash)
    } catch (error) {
      const message =
        error instanceof ShareLinkError ? error.message : 'This link cannot be opened.'
      view.replaceChildren(
        h(
          'main',
          { class: 'broken-link', 'data-testid': 'broken-link' },
          h('h1', {}, 'This link does not open a document'),
          h('p', {}, message),
          h('a', { href: '#/' }, 'Go to your documents'),
        ),
      )
      return
    }
    if (access?.mode === 'edit' && deps.catalog.conflicts(access.address)) {
      view.replaceChildren(
        h(
          'main',
          { class: 'broken-link', 'data-testid': 'broken-link' },
          h('h1', {}, 'This link was not opened'),
          h(
            'p',
            {},
            'This browser already holds a different document under the id in this link. Opening it would mix the two, so it stays closed. Ask for the link again: this one may have been altered.',
          ),
          h('a', { href: '#/' }, 'Go to your documents'),
        ),
      )
      return
    }
    if (access === null) {
      teardown = renderHome(view, {
        catalog: deps.catalog,
        removeLocalCopy: deps.removeLocalCopy,
        navigate,
        notify,
        ...(deps.importDocument ? { importDocument: deps.importDocument } : {}),
        ...(deps.backup ? { backup: deps.backup } : {}),
      })
    } else {
      teardown = renderDocument(view, access, { ...deps, notify, navigate })
    }
  }
  // Routes run one after another: a document's session is destroyed before the next opens, so
  // y-webrtc never sees two providers for one room in this realm.
  const schedule = (): void => {
    routing = routing.then(route, route)
  }
  window.addEventListener('hashchange', schedule)
  schedule()
}
