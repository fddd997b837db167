import type { Awareness } from 'y-protocols/awareness'
import { h } from './dom'

// Who is here (rules AWARE-3, PRESENCE-3): everyone whose awareness state we hold, with their
// name and colour, and "viewer" for those whose session carries no proof of the write key (the
// role is set by this browser's presence check, never taken from what a peer claims). Names come
// from peers, so they are treated as untrusted text (textContent only) and colours are checked.

const COLOR = /^#[0-9a-f]{6}$/i

interface RemoteUser {
  readonly name: string
  readonly color: string
  readonly viewer: boolean
}

function usersOf(awareness: Awareness): RemoteUser[] {
  const users: RemoteUser[] = []
  for (const [clientId, state] of awareness.getStates()) {
    if (clientId === awareness.clientID) continue
    const { user, role } = state as { user?: { name?: unknown; color?: unknown }; role?: unknown }
    if (!user || typeof user.name !== 'string') continue
    users.push({
      name: user.name.slice(0, 40) || 'Anonymous',
      color: typeof user.color === 'string' && COLOR.test(user.color) ? user.color : '#868e96',
      viewer: role === 'viewer',
    })
  }
  return users.sort((a, b) => a.name.localeCompare(b.name))
}

export function renderPeerList(awareness: Awareness): { element: HTMLElement; destroy(): void } {
  const element = h('ul', {
    class: 'peer-list',
    'data-testid': 'peer-list',
    'aria-label': 'People here',
  })
  let last = ''
  const refresh = (): void => {
    const users = usersOf(awareness)
    const key = JSON.stringify(users)
    if (key === last) return
    last = key
    element.replaceChildren(
      ...users.map((user) =>
        h(
          'li',
          {
            class: 'peer',
            'data-testid': 'peer',
            'data-role': user.viewer ? 'viewer' : 'editor',
            title: user.viewer ? `${user.name} (can view)` : user.name,
          },
          h('span', { class: 'peer-dot', style: `background:${user.color}` }),
          user.name,
          user.viewer
            ? h('span', { class: 'peer-role', 'data-testid': 'peer-role' }, ' viewer')
            : null,
        ),
      ),
    )
  }
  awareness.on('change', refresh)
  refresh()
  return { element, destroy: () => awareness.off('change', refresh) }
}
