import { h } from './dom'

// Offered when a new version of the app has been deployed and cached (rule OFFLINE-2). The user
// chooses when to reload; documents are in IndexedDB and are not touched by an update.

export function showUpdatePrompt(root: HTMLElement, reload: () => void): void {
  if (root.querySelector('[data-testid=update-available]')) return
  const banner = h(
    'div',
    { class: 'update-banner', role: 'status', 'data-testid': 'update-available' },
    'A new version of Meshpad is ready. Your documents stay as they are.',
    h(
      'button',
      { type: 'button', class: 'primary', 'data-testid': 'update-reload', onclick: reload },
      'Reload',
    ),
    h('button', { type: 'button', class: 'ghost', onclick: () => banner.remove() }, 'Later'),
  )
  root.append(banner)
}
