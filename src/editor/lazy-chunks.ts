import { Extension } from '@tiptap/core'
import type { Node as PMNode } from '@tiptap/pm/model'
import { Plugin, PluginKey, TextSelection, type EditorState } from '@tiptap/pm/state'
import type { EditorView, NodeView } from '@tiptap/pm/view'
import { Decoration, DecorationSet } from '@tiptap/pm/view'
import { chunkText, positionOfOffset } from './chunk-text'
import { CHUNK, keyOf } from './chunks'

// Chunks are rendered when they come near the screen (rule BIND-7). Off-screen chunks already
// skip layout (`content-visibility: auto`), but ProseMirror still creates the DOM of every block
// when a document opens: ~300 ms of a 1.1 s open at x20 (23,460 paragraphs), and the memory of
// every element. So a chunk starts as a placeholder: one element holding its plain text (so that
// find-in-page still finds it), and becomes a real chunk once it comes near the screen (see
// `VisibilityWatcher`), holds the selection or is next to the chunk that does, is one of the first
// EAGER_CHUNKS or the last (the browser's own Ctrl+End goes to the last editable position), or
// the page is printed. A chunk once rendered stays rendered: hiding it again would change
// heights under the reader.
//
// ProseMirror re-creates a node view only when its update() refuses a node, so "rendered" is a
// node decoration the node views read: a placeholder refuses any update that carries it. The
// decoration follows chunk keys (chunks.ts), which stay with a chunk through edits and splits.

/** Chunks rendered from the start, whatever the viewport: the first screen needs no wait. */
export const EAGER_CHUNKS = 2

/** How far beyond the viewport `ObserverWatcher` renders a placeholder: a screen each way. */
const MARGIN = '100% 0px'

const SHOWN = 'shown'

interface LazyState {
  readonly shown: ReadonlySet<number>
}

interface LazyMeta {
  readonly show: readonly number[] | 'all'
}

export const lazyChunksKey = new PluginKey<LazyState>('lazyChunks')

function isShown(decorations: readonly Decoration[]): boolean {
  return decorations.some((d) => (d.spec as { lazyChunk?: string }).lazyChunk === SHOWN)
}

/** Which chunks are to be rendered in `state`: the first, the seen, the selection's. */
function renderedDecorations(state: EditorState): DecorationSet {
  const { shown } = lazyChunksKey.getState(state) ?? { shown: new Set<number>() }
  const anchor = state.selection.$anchor.index(0)
  const head = state.selection.$head.index(0)
  const last = state.doc.childCount - 1
  const decorations: Decoration[] = []
  state.doc.forEach((chunk, offset, index) => {
    const edge = index < EAGER_CHUNKS || index === last
    // The selection's chunks and their neighbours: rendered in the same update as the move, so
    // that the first key typed there finds them laid out.
    const near = Math.abs(index - anchor) <= 1 || Math.abs(index - head) <= 1
    if (edge || near || shown.has(keyOf(chunk)))
      decorations.push(Decoration.node(offset, offset + chunk.nodeSize, {}, { lazyChunk: SHOWN }))
  })
  return DecorationSet.create(state.doc, decorations)
}

class RenderedChunk implements NodeView {
  readonly dom: HTMLElement
  readonly contentDOM: HTMLElement

  constructor(private node: PMNode) {
    this.dom = document.createElement('div')
    this.dom.className = 'chunk'
    this.contentDOM = this.dom
  }

  // Same key, same chunk: its blocks are updated in place. Any other chunk gets a view of its own
  // (reusing this one would rewrite every block of it).
  update(node: PMNode): boolean {
    if (!node.sameMarkup(this.node)) return false
    this.node = node
    return true
  }
}

/** A chunk not rendered yet: its text, never editable, observed until it comes near the screen. */
class ChunkPlaceholder implements NodeView {
  readonly dom: HTMLElement

  constructor(
    public node: PMNode,
    readonly getPos: () => number | undefined,
    private readonly watcher: Watcher,
  ) {
    this.dom = document.createElement('div')
    this.dom.className = 'chunk chunk-placeholder'
    this.dom.setAttribute('contenteditable', 'false')
    this.dom.textContent = chunkText(node)
    placeholders.set(this.dom, this)
    watcher.observe(this.dom)
  }

  update(node: PMNode, decorations: readonly Decoration[]): boolean {
    if (isShown(decorations) || !node.sameMarkup(this.node)) return false
    if (node !== this.node) {
      this.node = node
      this.dom.textContent = chunkText(node)
    }
    return true
  }

  // Its DOM is its own; a selection in it (find-in-page) is mapped by the plugin view below.
  ignoreMutation(): boolean {
    return true
  }

  destroy(): void {
    this.watcher.unobserve(this.dom)
  }
}

const placeholders = new WeakMap<Element, ChunkPlaceholder>()

/** The nearest ancestor that scrolls, which the observer's margin must be measured against. */
function scrollParent(el: Element): Element | null {
  for (let p = el.parentElement; p; p = p.parentElement) {
    const { overflowY } = getComputedStyle(p)
    if (overflowY === 'auto' || overflowY === 'scroll') return p
  }
  return null
}

/** Says when placeholders come near the screen; one per editor. */
interface Watcher {
  observe(el: Element): void
  unobserve(el: Element): void
  disconnect(): void
}

/**
 * Chromium already watches every chunk: each has `content-visibility: auto` (styles.css), and it
 * tells an element when it stops being skipped, as it comes near the screen. Listening to that
 * costs nothing per frame; an IntersectionObserver of our own on every placeholder cost 1.1 ms
 * of CPU in every frame that changed layout at x20 (364 placeholders; a Chrome trace of 30
 * keystrokes: IntersectionObserver computation 1.92 ms per keystroke with it, 0.78 ms without,
 * the rest being Chromium's own observer for content-visibility), and grows with the document.
 */
class VisibilityWatcher implements Watcher {
  private readonly pending = new Set<number>()
  private flushing = false

  constructor(private readonly view: EditorView) {}

  observe(el: Element): void {
    el.addEventListener(VISIBILITY_EVENT, this.changed)
  }

  unobserve(el: Element): void {
    el.removeEventListener(VISIBILITY_EVENT, this.changed)
  }

  disconnect(): void {
    this.pending.clear()
  }

  private readonly changed = (event: Event): void => {
    const placeholder = event.target instanceof Element ? placeholders.get(event.target) : null
    if ((event as Event & { skipped?: boolean }).skipped !== false || !placeholder) return
    this.pending.add(keyOf(placeholder.node))
    // Chunks that come on screen together are rendered in one transaction.
    if (this.flushing) return
    this.flushing = true
    queueMicrotask(() => {
      this.flushing = false
      const keys = [...this.pending]
      this.pending.clear()
      // Find-in-page makes a placeholder it selects in visible before 'selectionchange' is
      // dispatched: the selection is taken into the editor first, or rendering the chunk would
      // drop it with the placeholder's DOM.
      if (!this.view.isDestroyed) followSelection(this.view)
      if (keys.length > 0) show(this.view, keys)
    })
  }
}

const VISIBILITY_EVENT = 'contentvisibilityautostatechange'

/** Where the browser does not say it (before Chromium 108, Firefox 125, Safari 18). */
class ObserverWatcher implements Watcher {
  private observer: IntersectionObserver | null = null

  constructor(private readonly view: EditorView) {}

  observe(el: Element): void {
    this.observer ??= new IntersectionObserver((entries) => this.seen(entries), {
      root: scrollParent(this.view.dom),
      rootMargin: MARGIN,
    })
    this.observer.observe(el)
  }

  unobserve(el: Element): void {
    this.observer?.unobserve(el)
  }

  disconnect(): void {
    this.observer?.disconnect()
  }

  private seen(entries: IntersectionObserverEntry[]): void {
    const keys: number[] = []
    for (const entry of entries) {
      const placeholder = placeholders.get(entry.target)
      if (entry.isIntersecting && placeholder) keys.push(keyOf(placeholder.node))
    }
    if (keys.length > 0) show(this.view, keys)
  }
}

/** Whether the browser tells content-visibility changes (`VisibilityWatcher`). */
function tellsVisibility(): boolean {
  return (
    typeof (globalThis as { ContentVisibilityAutoStateChangeEvent?: unknown })
      .ContentVisibilityAutoStateChangeEvent === 'function'
  )
}

const watchers = new WeakMap<EditorView, Watcher>()

function watcherOf(view: EditorView): Watcher {
  let watcher = watchers.get(view)
  if (!watcher) {
    watcher = tellsVisibility() ? new VisibilityWatcher(view) : new ObserverWatcher(view)
    watchers.set(view, watcher)
  }
  return watcher
}

function show(view: EditorView, keys: LazyMeta['show']): void {
  if (view.isDestroyed) return
  const meta: LazyMeta = { show: keys }
  view.dispatch(view.state.tr.setMeta(lazyChunksKey, meta).setMeta('addToHistory', false))
}

/** The editor position of a DOM point inside a placeholder, or null if it is not in one. */
function placeholderPosition(node: Node, offset: number): number | null {
  const el = node instanceof Element ? node : node.parentElement
  const placeholder = el && placeholders.get(el)
  const start = placeholder?.getPos()
  if (!placeholder || start === undefined) return null
  const textOffset =
    node === placeholder.dom ? (offset === 0 ? 0 : (node.textContent ?? '').length) : offset
  return start + 1 + positionOfOffset(placeholder.node, textOffset)
}

/**
 * A selection made in a placeholder (find-in-page selects the match there) becomes the editor's
 * selection of the same characters; the chunk is then rendered and the selection drawn in it.
 * ProseMirror ignores selections in placeholders (ignoreMutation), so this is the only reader.
 */
function followSelection(view: EditorView): void {
  const selection = view.dom.ownerDocument.getSelection()
  const { anchorNode, focusNode } = selection ?? {}
  if (!selection || !anchorNode || !focusNode || !view.dom.contains(anchorNode)) return
  const anchor = placeholderPosition(anchorNode, selection.anchorOffset)
  const head = placeholderPosition(focusNode, selection.focusOffset)
  if (anchor === null && head === null) return
  const a = anchor ?? view.posAtDOM(anchorNode, selection.anchorOffset)
  const h = head ?? view.posAtDOM(focusNode, selection.focusOffset)
  const { doc } = view.state
  view.dispatch(view.state.tr.setSelection(TextSelection.between(doc.resolve(a), doc.resolve(h))))
  // ProseMirror draws the selection only while the editor has focus: draw it here otherwise.
  if (selection.anchorNode?.isConnected !== true) {
    const { from, to } = view.state.selection
    const start = view.domAtPos(from)
    const end = view.domAtPos(to)
    selection.setBaseAndExtent(start.node, start.offset, end.node, end.offset)
  }
}

export const LazyChunks = Extension.create({
  name: 'lazyChunks',
  addProseMirrorPlugins() {
    return [
      new Plugin<LazyState>({
        key: lazyChunksKey,
        state: {
          init: () => ({ shown: new Set<number>() }),
          apply: (tr, value) => {
            const meta = tr.getMeta(lazyChunksKey) as LazyMeta | undefined
            if (!meta) return value
            const shown = new Set(value.shown)
            const keys = meta.show === 'all' ? [] : meta.show
            if (meta.show === 'all') tr.doc.forEach((chunk) => shown.add(keyOf(chunk)))
            for (const key of keys) shown.add(key)
            return { shown }
          },
        },
        props: {
          decorations: renderedDecorations,
          nodeViews: {
            // Told of nothing, nothing would ever be rendered: render everything.
            [CHUNK]: (node, view, getPos, decorations) =>
              isShown(decorations) ||
              (!tellsVisibility() && typeof IntersectionObserver !== 'function')
                ? new RenderedChunk(node)
                : new ChunkPlaceholder(node, getPos, watcherOf(view)),
          },
        },
        view: (view) => {
          const doc = view.dom.ownerDocument
          const onSelection = (): void => followSelection(view)
          const beforePrint = (): void => show(view, 'all')
          // Capture: before ProseMirror's own listener reads the same selection.
          doc.addEventListener('selectionchange', onSelection, true)
          doc.defaultView?.addEventListener('beforeprint', beforePrint)
          return {
            destroy: () => {
              doc.removeEventListener('selectionchange', onSelection, true)
              doc.defaultView?.removeEventListener('beforeprint', beforePrint)
              watchers.get(view)?.disconnect()
              watchers.delete(view)
            },
          }
        },
      }),
    ]
  },
})
