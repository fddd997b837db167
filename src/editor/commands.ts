import type { Editor } from '@tiptap/core'
import { isSafeLinkHref } from './link-policy'

// The toolbar's commands as data: one table drives the buttons, their active state and tests.
// `id` doubles as the button's data-testid.

export interface ToolbarCommand {
  readonly id: string
  readonly label: string
  /** What the button shows; `label` is its accessible name and tooltip. */
  readonly short: string
  readonly shortcut?: string
  readonly group: 'history' | 'marks' | 'blocks' | 'insert'
  isActive?(editor: Editor): boolean
  canRun?(editor: Editor): boolean
  run(editor: Editor): void
}

const chain = (editor: Editor) => editor.chain().focus()

export const TOOLBAR: readonly ToolbarCommand[] = [
  {
    id: 'undo',
    short: '↶',
    label: 'Undo',
    shortcut: 'Mod-z',
    group: 'history',
    canRun: (e) => e.can().undo(),
    run: (e) => chain(e).undo().run(),
  },
  {
    id: 'redo',
    short: '↷',
    label: 'Redo',
    shortcut: 'Shift-Mod-z',
    group: 'history',
    canRun: (e) => e.can().redo(),
    run: (e) => chain(e).redo().run(),
  },
  ...(['bold', 'italic', 'strike', 'code'] as const).map((mark): ToolbarCommand => ({
    id: mark,
    label: { bold: 'Bold', italic: 'Italic', strike: 'Strikethrough', code: 'Inline code' }[mark],
    short: { bold: 'B', italic: 'I', strike: 'S', code: '</>' }[mark],
    shortcut: { bold: 'Mod-b', italic: 'Mod-i', strike: 'Shift-Mod-s', code: 'Mod-e' }[mark],
    group: 'marks',
    isActive: (e) => e.isActive(mark),
    run: (e) => chain(e).toggleMark(mark).run(),
  })),
  ...([1, 2, 3] as const).map((level): ToolbarCommand => ({
    id: `heading-${level}`,
    label: `Heading ${level}`,
    short: `H${level}`,
    shortcut: `Mod-Alt-${level}`,
    group: 'blocks',
    isActive: (e) => e.isActive('heading', { level }),
    run: (e) => chain(e).toggleHeading({ level }).run(),
  })),
  {
    id: 'bullet-list',
    short: '• List',
    label: 'Bullet list',
    shortcut: 'Shift-Mod-8',
    group: 'blocks',
    isActive: (e) => e.isActive('bulletList'),
    run: (e) => chain(e).toggleBulletList().run(),
  },
  {
    id: 'ordered-list',
    short: '1. List',
    label: 'Numbered list',
    shortcut: 'Shift-Mod-7',
    group: 'blocks',
    isActive: (e) => e.isActive('orderedList'),
    run: (e) => chain(e).toggleOrderedList().run(),
  },
  {
    id: 'task-list',
    short: '☑ Tasks',
    label: 'Task list',
    shortcut: 'Shift-Mod-9',
    group: 'blocks',
    isActive: (e) => e.isActive('taskList'),
    run: (e) => chain(e).toggleTaskList().run(),
  },
  {
    id: 'blockquote',
    short: '❝ Quote',
    label: 'Quote',
    shortcut: 'Shift-Mod-b',
    group: 'blocks',
    isActive: (e) => e.isActive('blockquote'),
    run: (e) => chain(e).toggleBlockquote().run(),
  },
  {
    id: 'code-block',
    short: '{ } Code',
    label: 'Code block',
    shortcut: 'Mod-Alt-c',
    group: 'blocks',
    isActive: (e) => e.isActive('codeBlock'),
    run: (e) => chain(e).toggleCodeBlock().run(),
  },
  {
    id: 'horizontal-rule',
    short: '― Rule',
    label: 'Divider',
    group: 'insert',
    run: (e) => chain(e).setHorizontalRule().run(),
  },
  {
    id: 'hard-break',
    short: '↵ Break',
    label: 'Line break',
    shortcut: 'Shift-Enter',
    group: 'insert',
    run: (e) => chain(e).setHardBreak().run(),
  },
]

export type LinkResult = 'set' | 'removed' | 'rejected'

/**
 * Sets or removes a link on the selection. Only http, https and mailto targets are accepted
 * (rule EDIT-2); a bare domain gets https://. Anything else is rejected, not rendered.
 */
export function applyLink(editor: Editor, input: string): LinkResult {
  const trimmed = input.trim()
  if (trimmed === '') {
    chain(editor).extendMarkRange('link').unsetLink().run()
    return 'removed'
  }
  const href = isSafeLinkHref(trimmed)
    ? trimmed
    : /^[\w.-]+\.[a-z]{2,}(\/\S*)?$/i.test(trimmed) && isSafeLinkHref(`https://${trimmed}`)
      ? `https://${trimmed}`
      : null
  if (href === null) return 'rejected'
  chain(editor).extendMarkRange('link').setLink({ href }).run()
  return 'set'
}
