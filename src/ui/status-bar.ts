import type { SyncNotice, SyncProblem, SyncStatus } from '../sync/status'
import { h, setAttr, setText } from './dom'

// The status bar (rules STATUS-1..3): connection, peer count, saved state, the network toggle,
// and the one visible place where problems the user must know about are shown.

export const PROBLEM_MESSAGES: Record<SyncProblem, string> = {
  'storage-unavailable':
    'This browser would not let Meshpad store the document: your edits live only in this tab until a peer receives them.',
  'storage-write-failed':
    'Saving to this browser failed: recent edits may not be stored. Keep the tab open until a peer has them.',
  'storage-corrupt':
    'Part of this document’s stored copy in this browser was damaged and has been set aside; everything else opened normally. Peers may still have the missing part.',
  'wrong-secret':
    'This browser already holds a different document under this link’s id, so it was not opened here. Ask for the link again: this one may have been altered.',
  'transport-error': 'A message to a peer could not be sent; Meshpad keeps retrying.',
  'app-outdated':
    'The server runs a newer Meshpad than this tab. Reload the page to update; your edits are kept in this browser meanwhile.',
  'store-refused':
    'The server refused to keep this document’s latest changes (it may be over its size limit). Your edits are kept in this browser and still reach peers directly.',
}

/** Notices (rule RECOVER-2): things the user should know that are not faults. */
export const NOTICE_MESSAGES: Record<SyncNotice, string> = {
  'rebuilt-missing-from-peers':
    'This document’s copy in this browser was missing; it was rebuilt from your peers.',
  'rebuilt-missing-from-server':
    'This document’s copy in this browser was missing; it was rebuilt from the server’s always-on copy.',
  'rebuilt-damaged-from-peers':
    'This document’s copy in this browser was damaged; it was rebuilt from your peers.',
  'rebuilt-damaged-from-server':
    'This document’s copy in this browser was damaged; it was rebuilt from the server’s always-on copy.',
}

const PINNED_LABEL = {
  pinned: (stores: number) => `Stored on ${stores} server${stores === 1 ? '' : 's'}`,
  pending: () => 'Storing on server…',
  off: () => 'Not stored on a server',
} as const

const CONNECTION_LABEL = {
  offline: 'Offline',
  connecting: 'Connecting…',
  connected: 'Connected',
} as const

export interface StatusBar {
  readonly element: HTMLElement
  readonly problem: HTMLElement
  render(status: SyncStatus): void
}

export function createStatusBar(onToggleNetwork: (enable: boolean) => void): StatusBar {
  let enabled = true
  const sync = h('span', {
    class: 'status-item sync',
    'data-testid': 'sync-status',
    'data-state': 'connecting',
  })
  const peers = h('span', { 'data-testid': 'peer-count' }, '0')
  const peersLabel = h('span', {}, ' peers')
  const saved = h('span', {
    class: 'status-item saved',
    'data-testid': 'saved-status',
    'data-state': 'saved',
  })
  const pinned = h('span', {
    class: 'status-item pinned',
    'data-testid': 'pinned-status',
    'data-state': 'off',
    title: 'Whether an always-on server keeps your changes for people who open the link later',
  })
  const relay = h('span', {
    class: 'status-item relay',
    'data-testid': 'relay-status',
    hidden: true,
  })
  const toggle = h(
    'button',
    {
      type: 'button',
      class: 'ghost',
      'data-testid': 'network-toggle',
      'aria-pressed': 'false',
      title: 'Pause or resume sharing edits with peers',
      onclick: () => onToggleNetwork(!enabled),
    },
    'Go offline',
  )
  const notice = h('span', {
    class: 'status-item notice',
    'data-testid': 'notice',
    role: 'status',
    hidden: true,
  })
  const problem = h('div', {
    class: 'problem',
    'data-testid': 'problem',
    role: 'alert',
    hidden: true,
  })

  const element = h(
    'footer',
    { class: 'status-bar', 'aria-live': 'polite' },
    sync,
    h('span', { class: 'status-item' }, peers, peersLabel),
    relay,
    saved,
    pinned,
    toggle,
    notice,
  )

  return {
    element,
    problem,
    render(status) {
      enabled = status.networkEnabled
      setAttr(sync, 'data-state', status.connection)
      setText(sync, CONNECTION_LABEL[status.connection])
      setText(peers, String(status.peers))
      setText(peersLabel, status.peers === 1 ? ' peer' : ' peers')
      const savedState = status.saved ? 'saved' : 'saving'
      setAttr(saved, 'data-state', savedState)
      setText(
        saved,
        status.viewOnly
          ? 'View only: not kept in this browser'
          : status.saved
            ? 'Saved in this browser'
            : 'Saving…',
      )
      setAttr(pinned, 'data-state', status.pinned)
      setText(pinned, PINNED_LABEL[status.pinned](status.stores))
      // A reader stores nothing anywhere: "Not stored on a server" would read as a fault.
      pinned.hidden = status.viewOnly
      // Relayed: people reached only through an always-on peer, when no direct path exists.
      const relayed = status.peers === 0 && status.relayed > 0
      relay.hidden = !relayed
      setAttr(sync, 'data-relay', String(relayed))
      setText(
        relay,
        relayed
          ? `Relayed through the server to ${status.relayed} ${status.relayed === 1 ? 'person' : 'people'}`
          : '',
      )
      setAttr(toggle, 'aria-pressed', String(!status.networkEnabled))
      setText(toggle, status.networkEnabled ? 'Go offline' : 'Go online')
      notice.hidden = status.notice === null
      setAttr(notice, 'data-notice', status.notice ?? '')
      setText(notice, status.notice ? NOTICE_MESSAGES[status.notice] : '')
      problem.hidden = status.problem === null
      setText(problem, status.problem ? PROBLEM_MESSAGES[status.problem] : '')
    },
  }
}
