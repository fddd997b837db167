import { Extension } from '@tiptap/core'
import { Plugin, PluginKey } from '@tiptap/pm/state'
import type { EditorView } from '@tiptap/pm/view'

// Top-level nodes (chunks of blocks, chunks.ts) skip layout while off screen (`content-visibility:
// auto` in styles.css), which keeps keystrokes fast in long documents. But Chromium decides that a
// node is on screen, or holds the selection, only at its next rendering update. Until then the node
// has no layout, and a key handled in that gap goes wrong: a character typed into a block just made
// by Enter is inserted without the caret moving past it ("hiring" came out "iringh", about 2 in 80
// rounds; CI failed on it), and End or ArrowDown into a skipped block does not move the caret.
//
// So the nodes around the caret are always laid out: a window of nodes on either side of it, and
// the first and last node (Ctrl+Home, Ctrl+End). The window is one CSS rule by position, in a
// stylesheet of its own: a node inserted inside the window is laid out from the start, and nothing
// in the editor's DOM changes (ProseMirror would take a changed attribute for an edit). It is moved
// before the browser acts on a key (keydown and beforeinput, capture phase: the selection there is
// already where the previous key put it) and after every editor update.

/** Top-level nodes laid out on each side of the caret's: a chunk is more than a page. */
export const LAYOUT_RADIUS = 1

/** 1-based, inclusive, as `:nth-child` counts. */
export interface LayoutWindow {
  readonly first: number
  readonly last: number
}

/** The window for a caret in the block at 0-based `index`, or null if it may stay where it is. */
export function nextWindow(
  current: LayoutWindow | null,
  index: number,
  radius = LAYOUT_RADIUS,
): LayoutWindow | null {
  const position = index + 1
  // Re-centred only once the caret is halfway to an edge, so moving within it costs no restyle.
  if (current && position - current.first >= radius / 2 && current.last - position >= radius / 2)
    return null
  const next = { first: Math.max(1, position - radius), last: position + radius }
  // Near the first node the window is cut and may already be the one it would become: a new rule
  // equal to the old one would still restyle the whole document, on every update (measured: a
  // peer reading the top of an x20 document restyled it twice per remote keystroke).
  if (current && current.first === next.first && current.last === next.last) return null
  return next
}

// The containment is what `auto` applies to a block on screen: a block keeps the same layout
// (no margins collapsing through it) whether the window holds it or not.
export function windowRule(root: string, window: LayoutWindow): string {
  const range = `:nth-child(n + ${window.first}):nth-child(-n + ${window.last})`
  return (
    `${root} > ${range}, ${root} > :first-child, ${root} > :last-child ` +
    '{ content-visibility: visible; contain: layout style paint; }'
  )
}

/** The 0-based index among `root`'s children of the element holding `node`, or -1. */
export function blockIndexOf(root: Element, node: Node | null): number {
  let block: Node | null = node
  while (block && block.parentNode !== root) block = block.parentNode
  if (!block) return -1
  let index = 0
  for (let el = (block as Element).previousElementSibling; el; el = el.previousElementSibling)
    index++
  return index
}

const ROOT_SELECTOR = '.editor-content'

/** The window's plugin view; `radius` counts top-level nodes. */
export class LayoutWindowView {
  private readonly style: HTMLStyleElement
  private window: LayoutWindow | null = null
  // Before the browser acts on a key, the DOM selection is the truth: ProseMirror may not have
  // read the selection the previous key left yet.
  private readonly beforeKey = (): void => {
    const selection = this.view.dom.ownerDocument.getSelection()
    if (selection && this.view.dom.contains(selection.focusNode))
      this.follow(blockIndexOf(this.view.dom, selection.focusNode))
  }

  constructor(
    private readonly view: EditorView,
    private readonly radius = LAYOUT_RADIUS,
  ) {
    this.style = document.createElement('style')
    this.style.dataset['meshpad'] = 'layout-window'
    document.head.append(this.style)
    view.dom.addEventListener('keydown', this.beforeKey, true)
    view.dom.addEventListener('beforeinput', this.beforeKey, true)
    this.follow(view.state.selection.$head.index(0))
  }

  // After an update, the editor's own selection (already resolved, so this is O(1)); reading the
  // DOM's here would cost a forced layout on every transaction, remote ones included (measured:
  // +0.6 ms per keystroke in B2).
  update(view: EditorView): void {
    this.follow(view.state.selection.$head.index(0))
  }

  destroy(): void {
    this.view.dom.removeEventListener('keydown', this.beforeKey, true)
    this.view.dom.removeEventListener('beforeinput', this.beforeKey, true)
    this.style.remove()
  }

  private follow(index: number): void {
    if (index < 0) return
    const next = nextWindow(this.window, index, this.radius)
    if (!next) return
    this.window = next
    this.style.textContent = windowRule(ROOT_SELECTOR, next)
  }
}

export const LayoutWindowExtension = Extension.create({
  name: 'layoutWindow',
  addProseMirrorPlugins() {
    return [
      new Plugin({
        key: new PluginKey('layoutWindow'),
        view: (view) => new LayoutWindowView(view),
      }),
    ]
  },
})
