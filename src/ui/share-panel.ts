import { h } from './dom'

// The share links and their copy buttons (rules LINK-5, VIEW-1, MOVE-7). "Can edit" carries the
// secret: whoever has it can read and change the document. "Can view" carries only what reads
// and verifies it, and the peers refuse any change made with it. A view link's holder sees only
// the view link. An editor can also move the document to a new link, which the panel explains
// before it happens, including what a move cannot undo.

export interface SharePanelOptions {
  /** The edit link; null when this document was opened with a view link. */
  readonly editLink: string | null
  readonly viewLink: string
  readonly notify: (message: string) => void
  /** Moves the document to a new link; absent for a reader. */
  readonly moveToNewLink?: () => Promise<void>
}

function linkRow(
  options: SharePanelOptions,
  kind: 'edit' | 'view',
  link: string,
  copiedMessage: string,
): HTMLElement {
  const suffix = kind === 'edit' ? '' : '-view'
  const label = kind === 'edit' ? 'Can edit' : 'Can view'
  const input = h('input', {
    class: 'share-link',
    'data-testid': `share-link${suffix}`,
    readonly: true,
    value: link,
    'aria-label': `Share link: ${label.toLowerCase()}`,
    onfocus: (event: Event) => (event.target as HTMLInputElement).select(),
  })
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(link)
      options.notify(copiedMessage)
    } catch {
      input.focus()
      input.select()
      options.notify('Copy was blocked by the browser: the link is selected, press Ctrl+C.')
    }
  }
  return h(
    'div',
    { class: 'share-row' },
    h('span', { class: 'share-kind' }, label),
    input,
    h(
      'button',
      { type: 'button', 'data-testid': `copy-link${suffix}`, onclick: () => void copy() },
      'Copy',
    ),
  )
}

function moveControl(move: () => Promise<void>, notify: (message: string) => void): HTMLElement {
  const confirm = h(
    'div',
    { class: 'move-confirm', 'data-testid': 'move-confirm', hidden: true, role: 'dialog' },
    h(
      'p',
      {},
      'Moving gives this document new links, with all its content and history. The old links stop: always-on peers refuse changes made with them, and editors still on them are told the document moved and to ask for the new link. Nothing written after the move reaches the old links.',
    ),
    h(
      'p',
      { class: 'move-warning' },
      'A move cannot undo what was already read: anyone who opened the old link keeps what they saw until now.',
    ),
  )
  const start = h(
    'button',
    {
      type: 'button',
      class: 'ghost',
      'data-testid': 'move-link',
      onclick: () => {
        confirm.hidden = !confirm.hidden
      },
    },
    'Move to a new link…',
  )
  const go = h(
    'button',
    {
      type: 'button',
      'data-testid': 'move-link-confirm',
      onclick: () => {
        go.disabled = true
        move().catch((error: unknown) => {
          go.disabled = false
          notify(
            `The document could not be moved: ${error instanceof Error ? error.message : 'unknown error'}`,
          )
        })
      },
    },
    'Move to a new link',
  )
  const cancel = h(
    'button',
    { type: 'button', class: 'ghost', onclick: () => (confirm.hidden = true) },
    'Cancel',
  )
  confirm.append(h('div', { class: 'move-actions' }, go, cancel))
  return h('div', { class: 'move' }, start, confirm)
}

export function renderSharePanel(options: SharePanelOptions): HTMLElement {
  return h(
    'div',
    { class: 'share-panel' },
    h('label', { class: 'share-label' }, 'Share'),
    options.editLink === null
      ? null
      : linkRow(
          options,
          'edit',
          options.editLink,
          'Link copied. Anyone with it can read and edit this document.',
        ),
    linkRow(
      options,
      'view',
      options.viewLink,
      'View link copied. Anyone with it can read this document, not change it.',
    ),
    options.moveToNewLink ? moveControl(options.moveToNewLink, options.notify) : null,
  )
}
