import type { Editor } from '@tiptap/core'
import { TOOLBAR, applyLink } from '../editor/commands'
import { h, setAttr } from './dom'

// The formatting toolbar. Active states are refreshed at most once per animation frame, so a
// burst of remote updates in a large document does not re-render it per transaction.

export function renderToolbar(editor: Editor, notify: (message: string) => void): HTMLElement {
  const buttons = TOOLBAR.map((command) => {
    const button = h(
      'button',
      {
        type: 'button',
        class: `tool tool-${command.id}`,
        'data-testid': command.id,
        title: command.shortcut
          ? `${command.label} (${command.shortcut.replace('Mod', 'Ctrl')})`
          : command.label,
        'aria-label': command.label,
        ...(command.isActive ? { 'aria-pressed': 'false' } : {}),
        onmousedown: (event: Event) => event.preventDefault(), // keep the editor's selection
        onclick: () => command.run(editor),
      },
      command.short,
    )
    return { command, button }
  })
  const link = h(
    'button',
    {
      type: 'button',
      class: 'tool tool-link',
      'data-testid': 'link',
      'aria-label': 'Link',
      'aria-pressed': 'false',
      title: 'Link (http, https or mailto)',
      onmousedown: (event: Event) => event.preventDefault(),
      onclick: () => {
        const current = (editor.getAttributes('link') as { href?: string }).href ?? ''
        const input = window.prompt(
          'Link address (http, https or mailto; empty removes the link)',
          current,
        )
        if (input === null) return
        if (applyLink(editor, input) === 'rejected') {
          notify('Only http, https and mailto links are allowed.')
        }
      },
    },
    'Link',
  )

  let scheduled = false
  const refresh = (): void => {
    scheduled = false
    for (const { command, button } of buttons) {
      if (command.isActive) setAttr(button, 'aria-pressed', String(command.isActive(editor)))
      // A view link or a moved document (VIEW-4, MOVE-8): nothing edits, undo included.
      const enabled = editor.isEditable && (command.canRun ? command.canRun(editor) : true)
      button.disabled = !enabled
    }
    setAttr(link, 'aria-pressed', String(editor.isActive('link')))
    link.disabled = !editor.isEditable
  }
  const schedule = (): void => {
    if (scheduled) return
    scheduled = true
    requestAnimationFrame(refresh)
  }
  editor.on('transaction', schedule)
  editor.on('selectionUpdate', schedule)
  // setEditable emits 'update' (not a transaction): the buttons follow.
  editor.on('update', schedule)
  refresh()

  const groups = ['history', 'marks', 'blocks', 'insert'] as const
  return h(
    'div',
    { class: 'toolbar', role: 'toolbar', 'aria-label': 'Formatting' },
    ...groups.map((group) =>
      h(
        'div',
        { class: 'tool-group' },
        ...buttons.filter(({ command }) => command.group === group).map(({ button }) => button),
        group === 'marks' ? link : null,
      ),
    ),
  )
}
