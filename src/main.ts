import { DocumentCatalog } from './doc/catalog'
import { UNTITLED } from './doc/title'
import { newDocAddress, shareLinkFor, type DocAddress } from './share/link'
import { collectBackup, restoreBackup } from './sync/backup-store'
import { removeLocalCopy } from './sync/local'
import { writeNewLocalCopy } from './sync/new-copy'
import { openDocumentSession } from './sync/session'
import { loadAppConfig, rememberedAppConfig } from './sync/app-config'
import { readConfiguration } from './sync/configuration'
import { startApp } from './ui/app'
import { loadIdentity, saveIdentity } from './ui/identity'
import { showUpdatePrompt } from './ui/update-prompt'
import { registerSW } from 'virtual:pwa-register'
import './ui/styles.css'

// Composition root: reads configuration from the URL and the build, wires the catalog, the
// sync sessions and the UI together. Nothing below this file knows which adapters are in use.

const root = document.getElementById('app')
if (!root) throw new Error('index.html must contain <div id="app">')

// An unusable setting (a malformed ?signaling= or ?store=, a bad build variable) comes back as a
// problem, never as an exception: the app shell shows it instead of a blank page (rule SYNC-3).
const {
  signalingUrls,
  storeUrls,
  problem: configurationProblem,
} = readConfiguration(window.location, {
  signaling: import.meta.env.VITE_SIGNALING_URLS as string | undefined,
  store: import.meta.env.VITE_STORE_URLS as string | undefined,
})
const warn = (message: string, error?: unknown): void =>
  console.warn(`[meshpad] ${message}`, error ?? '')
// The operator's STUN/TURN servers: the last answer at once when there is one (and a fresh one
// for next time), else the server is asked first, for at most 1.5 s.
const remembered = rememberedAppConfig(localStorage)
const fresh = loadAppConfig(localStorage)
const appConfig = remembered ?? (await fresh)
let identity = loadIdentity(localStorage)
const catalog = new DocumentCatalog(localStorage, warn)
/** A title derived from text means this browser once held the document's content (RECOVER-1). */
const heldContent = (docId: DocAddress['docId']): boolean => {
  const title = catalog.get(docId)?.title ?? ''
  return title !== '' && title !== UNTITLED
}

startApp({
  root,
  configurationProblem,
  catalog,
  openSession: (access) =>
    openDocumentSession(access, {
      signalingUrls,
      storeUrls,
      warn,
      expectStoredCopy: access.mode === 'edit' && heldContent(access.docId),
      ...(appConfig.iceServers ? { iceServers: appConfig.iceServers } : {}),
    }),
  removeLocalCopy: (entry) => removeLocalCopy(entry.docId),
  shareLink: (hash) => shareLinkFor(window.location.href, hash),
  newCopy: async (state, title) => {
    const address = newDocAddress()
    await writeNewLocalCopy(address, state)
    catalog.touch(address)
    catalog.setDerivedTitle(address.docId, title)
    return address
  },
  identity: () => identity,
  setIdentity: (next) => {
    identity = next
    saveIdentity(localStorage, next)
  },
  // The importers (Markdown, HTML, DOMPurify) load on first use, not with the app (bench B7).
  importDocument: async (source) =>
    (await import('./transfer/new-document')).importAsNewDocument(source, {
      catalog,
      storeNewCopy: writeNewLocalCopy,
    }),
  backup: {
    collect: () => collectBackup(catalog),
    restore: (entries) => restoreBackup(catalog, entries),
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
