import { h } from './dom'

// The share link and its copy button (rule LINK-5). The link carries the secret: whoever has it
// can read and edit the document, which the panel says plainly.

export function renderSharePanel(link: string, notify: (message: string) => void): HTMLElement {
  const input = h('input', {
    class: 'share-link',
    'data-testid': 'share-link',
    readonly: true,
    value: link,
    'aria-label': 'Share link',
    onfocus: (event: Event) => (event.target as HTMLInputElement).select(),
  })
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(link)
      notify('Link copied. Anyone with it can read and edit this document.')
    } catch {
      input.focus()
      input.select()
      notify('Copy was blocked by the browser: the link is selected, press Ctrl+C.')
    }
  }
  return h(
    'div',
    { class: 'share-panel' },
    h('label', { class: 'share-label' }, 'Share'),
    input,
    h(
      'button',
      { type: 'button', 'data-testid': 'copy-link', onclick: () => void copy() },
      'Copy link',
    ),
  )
}
