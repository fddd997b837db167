import type { Editor } from '@tiptap/core'
import type { DocumentCatalog } from '../doc/catalog'
import { onDocChange } from '../doc/doc-changes'
import { bodyOf } from '../doc/model'
import { deriveTitle } from '../doc/title'
import { warmUpFor } from '../editor/warm-up'
import { gateLink } from '../sync/gate/warm-up'
import { flatten } from '../editor/chunks'
import { createEditor, type PeerIdentity } from '../editor/create-editor'
import * as Y from 'yjs'
import { accessHash, viewHashOf, type DocAccess } from '../share/access'
import { documentHash, type DocAddress } from '../share/link'
import type { DocumentSession } from '../sync/port'
import type { SyncStatus } from '../sync/status'
import { h } from './dom'
import { renderExportMenu } from './export-menu'
import { cleanName } from './identity'
import { AutoVersions } from '../doc/auto-versions'
import { separateUndoStep } from '../editor/undo'
import { renderHistory } from './history-panel'
import { renderPeerList } from './peer-list'
import { renderSharePanel } from './share-panel'
import { createStatusBar } from './status-bar'
import { renderToolbar } from './toolbar'

// One open document: editor, toolbar, share link, people, status. The local copy is loaded
// before the editor mounts (rule LOCAL-2), so what this browser has shows at once, with or
// without a network; peers fill in the rest as they arrive.

export interface DocumentViewDeps {
  readonly catalog: DocumentCatalog
  readonly openSession: (access: DocAccess) => DocumentSession
  /** The full link for a hash route (`#/d/...` or `#/v/...`). */
  readonly shareLink: (hash: string) => string
  /**
   * Stores a new document holding `state` (MOVE-7: content and history carried over) and lists
   * it under `title`; resolves to its address. No move is offered without it.
   */
  readonly newCopy?: (state: Uint8Array, title: string) => Promise<DocAddress>
  readonly navigate: (hash: string) => void
  readonly identity: () => PeerIdentity
  readonly setIdentity: (identity: PeerIdentity) => void
  readonly notify: (message: string) => void
}

/** How long edits settle before the derived title is recomputed. */
const TITLE_DEBOUNCE_MS = 400

export function renderDocument(
  root: HTMLElement,
  access: DocAccess,
  deps: DocumentViewDeps,
): () => Promise<void> {
  // A view link is not listed: the list's entries are edit links (VIEW-5).
  if (access.mode === 'edit') deps.catalog.touch(access.address)
  const docId = access.docId
  const session = deps.openSession(access)
  let editor: Editor | null = null
  let disposed = false
  const cleanups: (() => void)[] = []

  const statusBar = createStatusBar((enable) => session.setNetworkEnabled(enable))
  cleanups.push(session.status.subscribe((status) => statusBar.render(status)))
  // Editing is offered only with an edit link, and ends when the document moved (MOVE-8).
  const canEdit = (): boolean => session.canEdit && !session.status.get().moved
  const movedNotice = h(
    'div',
    { class: 'moved-notice', 'data-testid': 'moved-notice', role: 'alert', hidden: true },
    'This document moved to a new link. Ask the person who shared it with you for the new link: changes made here no longer reach anyone.',
  )
  const showMoved = (): void => {
    if (!session.status.get().moved || !movedNotice.hidden) return
    movedNotice.hidden = false
    editor?.setEditable(false)
  }
  cleanups.push(session.status.subscribe(showMoved))

  const nameInput = h('input', {
    class: 'user-name',
    'data-testid': 'user-name',
    'aria-label': 'Your name, as others see it',
    maxlength: 40,
    value: deps.identity().name,
  })
  nameInput.addEventListener('change', () => {
    const name = cleanName(nameInput.value)
    if (name === '') {
      nameInput.value = deps.identity().name
      return
    }
    const next = { ...deps.identity(), name }
    deps.setIdentity(next)
    editor?.commands.updateUser({ name: next.name, color: next.color })
  })

  const peers = renderPeerList(session.awareness)
  cleanups.push(() => peers.destroy())

  // Names for versions: who (of those present or seen) wrote what a version adds.
  const nameOf = (clientId: number): string | null => {
    if (clientId === session.doc.clientID) return deps.identity().name
    const user = session.awareness.getStates().get(clientId)?.['user'] as
      { name?: unknown } | undefined
    return typeof user?.name === 'string' ? user.name.slice(0, 40) : null
  }
  const history = renderHistory({
    doc: session.doc,
    nameOf,
    notify: deps.notify,
    focusEditor: () => editor?.commands.focus(),
    // The flat document, as Yjs holds it (the editor groups its blocks under chunks).
    today: () => (editor ? flatten(editor.state.doc) : null),
    separateUndoStep: () => {
      if (editor) separateUndoStep(editor)
    },
    canEdit,
  })
  cleanups.push(() => history.destroy())
  // Versions are changes to the document: a reader makes none (VIEW-4).
  if (session.canEdit) {
    const autoVersions = new AutoVersions(session.doc, { nameOf })
    // The last editor leaving saves one (rule VERSION-1); with others here, they will. y-webrtc
    // leaves its rooms on `beforeunload`, before `pagehide`, so who is here is read as the page
    // starts to leave: a capturing listener on the window runs before y-webrtc's (without it,
    // every editor leaving saved a version, and a document's first one copies all of it).
    let leavingWith: SyncStatus | null = null
    const startLeaving = (): void => {
      leavingWith = session.status.get()
    }
    const leaveVersion = (): void => {
      const status = leavingWith ?? session.status.get()
      leavingWith = null
      if (!status.moved) autoVersions.leave(status.peers === 0 && status.relayed === 0)
    }
    window.addEventListener('beforeunload', startLeaving, { capture: true })
    window.addEventListener('pagehide', leaveVersion)
    cleanups.push(() => {
      window.removeEventListener('beforeunload', startLeaving, { capture: true })
      window.removeEventListener('pagehide', leaveVersion)
      leaveVersion()
      autoVersions.destroy()
    })
  }
  const title = (): string =>
    deps.catalog.get(docId)?.customTitle ?? deriveTitle(bodyOf(session.doc))
  const newCopy = deps.newCopy
  const moveToNewLink =
    session.canEdit && newCopy
      ? async (): Promise<void> => {
          const next = await newCopy(Y.encodeStateAsUpdate(session.doc), title())
          const told = await session.moveAway()
          // The list keeps the new link only; the old copy stays in this browser's storage.
          deps.catalog.remove(docId)
          deps.notify(
            told.stores || told.peers > 0
              ? 'Moved. Share the new link: the old one no longer takes changes.'
              : 'Moved. No always-on peer confirmed the old link’s end yet; share the new link.',
          )
          deps.navigate(documentHash(next))
        }
      : undefined
  const editorHost = h('div', { class: 'editor-host' }, h('p', { class: 'loading' }, 'Opening…'))
  const toolbarHost = h('div', { class: 'toolbar-host' })

  root.replaceChildren(
    h(
      'div',
      { class: 'document' },
      h(
        'header',
        { class: 'doc-header' },
        h('a', { href: '#/', class: 'home-link', 'data-testid': 'home-link' }, '← Documents'),
        renderSharePanel({
          editLink: access.mode === 'edit' ? deps.shareLink(accessHash(access)) : null,
          viewLink: deps.shareLink(viewHashOf(access)),
          notify: deps.notify,
          ...(moveToNewLink ? { moveToNewLink } : {}),
        }),
        renderExportMenu({
          editor: () => editor,
          doc: session.doc,
          // A local rename wins; otherwise the title of the text as it is now (the catalog's
          // derived title trails typing by the title debounce).
          title,
          notify: deps.notify,
        }),
        history.buttons,
        h('label', { class: 'name-label' }, 'You ', nameInput),
        peers.element,
      ),
      statusBar.problem,
      movedNotice,
      toolbarHost,
      h('div', { class: 'doc-body' }, editorHost, history.panel),
      statusBar.element,
    ),
  )

  let titleTimer: ReturnType<typeof setTimeout> | undefined
  const saveTitle = (): void => {
    titleTimer = undefined
    if (access.mode === 'edit')
      deps.catalog.setDerivedTitle(docId, deriveTitle(bodyOf(session.doc)))
  }
  const updateTitle = (): void => {
    clearTimeout(titleTimer)
    titleTimer = setTimeout(saveTitle, TITLE_DEBOUNCE_MS)
  }
  // Leaving within the debounce, by route or by unloading the page, must not lose the title of
  // what was just typed (localStorage writes are synchronous, so pagehide is early enough).
  const flushTitle = (): void => {
    if (titleTimer === undefined) return
    clearTimeout(titleTimer)
    saveTitle()
  }
  const stopTitle = onDocChange(session.doc, updateTitle)
  window.addEventListener('pagehide', flushTitle)
  cleanups.push(() => {
    stopTitle()
    window.removeEventListener('pagehide', flushTitle)
    flushTitle()
  })

  void session.loaded.then(() => {
    if (disposed) return
    editorHost.replaceChildren()
    const created = createEditor({
      element: editorHost,
      doc: session.doc,
      awareness: session.awareness,
      user: deps.identity(),
      editable: canEdit(),
    })
    editor = created
    toolbarHost.replaceChildren(renderToolbar(created, deps.notify))
    updateTitle()
    created.commands.focus('start')
    showMoved()
    cleanups.push(warmUpFor(created, deps.identity(), gateLink))
  })

  return async () => {
    disposed = true
    for (const cleanup of cleanups) cleanup()
    editor?.destroy()
    await session.destroy()
  }
}
