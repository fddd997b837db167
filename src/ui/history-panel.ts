import { DOMSerializer } from '@tiptap/pm/model'
import type * as Y from 'yjs'
import type { Node as PMNode } from '@tiptap/pm/model'
import { renderBody } from '../doc/pm-bridge'
import {
  applyRestore,
  changedSinceLastVersion,
  listVersions,
  renameVersion,
  restoreUpdate,
  saveVersion,
  versionDoc,
  VERSIONS,
  type VersionInfo,
} from '../doc/versions'
import { documentSchema } from '../editor/extensions'
import { h, setText } from './dom'

// Version history (rules VERSION-1..5): save a version now, list them newest first, show one
// read-only with what changed since highlighted, and restore it as a forward change that the
// restorer can undo with Ctrl+Z. No browser dialog anywhere: a restore is undone, not confirmed.

export interface HistoryDeps {
  readonly doc: Y.Doc
  readonly nameOf: (clientId: number) => string | null
  readonly notify: (message: string) => void
  /** Called after a restore so the editor gets the focus back (Ctrl+Z then undoes it). */
  readonly focusEditor: () => void
  /** Today's document as the editor shows it (null before the editor is up). */
  readonly today: () => PMNode | null
  /** Closes the editor's current undo step, so that a restore is one step of its own. */
  readonly separateUndoStep: () => void
  /** A view link (VIEW-4): versions can be looked at, not saved, named or restored. */
  readonly canEdit: () => boolean
}

const schema = documentSchema()

function when(at: number): string {
  return new Date(at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

function label(info: VersionInfo): string {
  if (info.name !== '') return info.name
  return info.kind === 'auto' ? 'Saved automatically' : 'Saved version'
}

/** Top-level blocks of the version whose text today's document does not have, by index. */
function changedBlocks(version: PMNode, today: PMNode): Set<number> {
  const now = new Map<string, number>()
  today.forEach((node) => {
    now.set(node.textContent, (now.get(node.textContent) ?? 0) + 1)
  })
  const changed = new Set<number>()
  version.forEach((node, _offset, index) => {
    const left = now.get(node.textContent) ?? 0
    if (left > 0) now.set(node.textContent, left - 1)
    else changed.add(index)
  })
  return changed
}

export function renderHistory(deps: HistoryDeps): {
  readonly buttons: HTMLElement
  readonly panel: HTMLElement
  destroy(): void
} {
  const list = h('ol', { class: 'version-list', 'data-testid': 'version-list' })
  const preview = h('div', {
    class: 'version-preview',
    'data-testid': 'version-preview',
    hidden: true,
  })
  const empty = h(
    'p',
    { class: 'muted' },
    'No versions yet. Save one, or keep writing: Meshpad saves one every few minutes.',
  )
  const panel = h(
    'aside',
    {
      class: 'history-panel',
      'data-testid': 'history-panel',
      hidden: true,
      'aria-label': 'Version history',
    },
    h('h2', {}, 'Versions'),
    empty,
    list,
    preview,
  )
  let selected: string | null = null

  const showPreview = (id: string): void => {
    selected = id
    const version = versionDoc(deps.doc, id)
    if (!version) {
      preview.hidden = false
      preview.replaceChildren(h('p', {}, 'This version is still arriving from peers.'))
      return
    }
    // Read only: reading through the editor binding's bridge could write to the live document.
    const body = renderBody(version, schema)
    const changed = changedBlocks(body, deps.today() ?? renderBody(deps.doc, schema))
    const fragment = DOMSerializer.fromSchema(schema).serializeFragment(body.content)
    const content = h('div', {
      class: 'version-content editor-content',
      'data-testid': 'version-content',
    })
    content.append(fragment)
    Array.from(content.children).forEach((child, index) => {
      if (changed.has(index)) child.classList.add('version-changed')
    })
    preview.hidden = false
    preview.replaceChildren(
      h('p', { class: 'muted' }, 'Read-only. Highlighted: what differs from the document today.'),
      content,
    )
    version.destroy()
    render()
  }

  const restore = (id: string): void => {
    if (!deps.canEdit()) return
    const update = restoreUpdate(deps.doc, id)
    if (update === null) {
      deps.notify('The document is already the same as this version.')
      return
    }
    deps.separateUndoStep()
    applyRestore(deps.doc, update)
    deps.separateUndoStep()
    deps.notify('Version restored for everyone. Press Ctrl+Z to undo.')
    deps.focusEditor()
    if (selected !== null) showPreview(selected)
  }

  const item = (info: VersionInfo): HTMLElement => {
    const name = h('input', {
      class: 'version-name',
      'data-testid': 'version-name',
      'aria-label': 'Name of this version',
      placeholder: 'Add a name',
      maxlength: 100,
      value: info.name,
      ...(deps.canEdit() ? {} : { readonly: true }),
    })
    name.addEventListener('change', () => {
      if (deps.canEdit()) renameVersion(deps.doc, info.id, name.value.trim())
    })
    const authors = info.authors.length > 0 ? `by ${info.authors.join(', ')}` : ''
    return h(
      'li',
      {
        class: `version${selected === info.id ? ' selected' : ''}`,
        'data-testid': 'version',
        'data-kind': info.kind,
        'data-id': info.id,
      },
      h(
        'button',
        {
          type: 'button',
          class: 'version-open ghost',
          'data-testid': 'version-open',
          onclick: () => showPreview(info.id),
        },
        h('span', { class: 'version-label' }, label(info)),
        h('time', { datetime: new Date(info.at).toISOString() }, when(info.at)),
        h('span', { class: 'version-authors muted' }, authors),
      ),
      name,
      h(
        'button',
        {
          type: 'button',
          'data-testid': 'restore-version',
          ...(deps.canEdit() ? {} : { disabled: true }),
          onclick: () => restore(info.id),
        },
        'Restore',
      ),
    )
  }

  const render = (): void => {
    if (panel.hidden) return
    const versions = listVersions(deps.doc)
    empty.hidden = versions.length > 0
    // Keep a name being typed: rebuild only when the set or an entry changed.
    const active = document.activeElement
    if (active instanceof HTMLInputElement && list.contains(active)) return
    list.replaceChildren(...versions.map(item))
  }

  // Saved, renamed or arrived from a peer: any change under the versions map re-renders.
  const versions = deps.doc.getMap(VERSIONS)
  const onVersions = (): void => render()
  versions.observeDeep(onVersions)

  const save = h(
    'button',
    {
      type: 'button',
      'data-testid': 'save-version',
      title: 'Save a version of the document as it is now',
      ...(deps.canEdit() ? {} : { hidden: true }),
      onclick: () => {
        if (!deps.canEdit()) return
        if (!changedSinceLastVersion(deps.doc) && listVersions(deps.doc).length > 0) {
          deps.notify('Nothing changed since the last version.')
          return
        }
        saveVersion(deps.doc, { kind: 'manual', at: Date.now(), nameOf: deps.nameOf })
        deps.notify('Version saved. Open History to name it.')
        render()
      },
    },
    'Save version',
  )
  const toggle = h(
    'button',
    {
      type: 'button',
      'data-testid': 'history',
      'aria-expanded': 'false',
      onclick: () => {
        panel.hidden = !panel.hidden
        toggle.setAttribute('aria-expanded', String(!panel.hidden))
        if (panel.hidden) {
          preview.hidden = true
          selected = null
        }
        render()
      },
    },
    'History',
  )
  setText(toggle, 'History')
  return {
    buttons: h('div', { class: 'history-buttons' }, save, toggle),
    panel,
    destroy: () => versions.unobserveDeep(onVersions),
  }
}
