import { DocumentCatalog } from './doc/catalog'
import { shareLink } from './share/link'
import { removeLocalCopy } from './sync/local'
import { openDocumentSession } from './sync/session'
import { resolveSignalingUrls } from './sync/signaling-urls'
import { startApp } from './ui/app'
import { loadIdentity, saveIdentity } from './ui/identity'
import { showUpdatePrompt } from './ui/update-prompt'
import { registerSW } from 'virtual:pwa-register'
import './ui/styles.css'

// Composition root: reads configuration from the URL and the build, wires the catalog, the
// sync sessions and the UI together. Nothing below this file knows which adapters are in use.

const root = document.getElementById('app')
if (!root) throw new Error('index.html must contain <div id="app">')

const signalingUrls = resolveSignalingUrls(
  window.location,
  import.meta.env.VITE_SIGNALING_URLS as string | undefined,
)
const warn = (message: string, error?: unknown): void =>
  console.warn(`[meshpad] ${message}`, error ?? '')
let identity = loadIdentity(localStorage)

startApp({
  root,
  catalog: new DocumentCatalog(localStorage, warn),
  openSession: (address) => openDocumentSession(address, { signalingUrls, warn }),
  removeLocalCopy: (entry) => removeLocalCopy(entry.docId),
  shareLink: (address) => shareLink(window.location.href, address),
  identity: () => identity,
  setIdentity: (next) => {
    identity = next
    saveIdentity(localStorage, next)
  },
})

// The service worker caches the app shell for offline use. It is registered only in builds (the
// dev server has none), and a new version waits for the user's consent to reload.
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  const updateSW = registerSW({
    onNeedRefresh: () => showUpdatePrompt(document.body, () => void updateSW(true)),
    onRegisterError: (error: unknown) => warn('Offline support is unavailable.', error),
  })
}
