import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { readEditorText } from '../../../bench/lib/app'
import { waitFor } from '../../helpers/wait-for'

// One person using Meshpad: a fresh browser context (its own profile, so IndexedDB, localStorage
// and BroadcastChannel are not shared with other peers) with one page. Methods act and read
// through the UI automation contract in docs/ARCHITECTURE.md (data-testids, the editor root's
// `.editor`).

interface PmNode {
  readonly textContent: string
  forEach(fn: (node: PmNode) => void): void
  textBetween(from: number, to: number, blockSeparator?: string): string
}
interface PmRange {
  from: number
  to: number
}

/** The parts of Tiptap's Editor the tests read, as reached through the editor root element. */
interface EditorRoot extends HTMLElement {
  editor?: {
    getHTML(): string
    state: {
      doc: PmNode
      selection: {
        from: number
        to: number
        constructor: { atStart(doc: PmNode): PmRange; atEnd(doc: PmNode): PmRange }
      }
    }
  }
}

export type DataState = string | null

const DOC_HASH = /#\/d\/[^/]+\/[^/]+$/
const MAX_CONSOLE_LINES = 300

export class Peer {
  /** Uncaught exceptions in the page; any of them fails the test (see harness.ts). */
  readonly pageErrors: string[] = []
  /** The page's console, for the failure report. */
  readonly consoleLines: string[] = []
  private closed = false

  private constructor(
    readonly label: string,
    readonly appUrl: string,
    readonly context: BrowserContext,
    readonly page: Page,
    /** False for a second tab of another peer's profile: closing it leaves the profile alone. */
    private readonly ownsContext: boolean,
  ) {
    page.on('pageerror', (error) => this.pageErrors.push(error.stack ?? error.message))
    page.on('crash', () => this.pageErrors.push('page crashed'))
    page.on('console', (message) => {
      this.consoleLines.push(`[${message.type()}] ${message.text()}`)
      if (this.consoleLines.length > MAX_CONSOLE_LINES) this.consoleLines.shift()
    })
  }

  static async open(browser: Browser, appUrl: string, label: string): Promise<Peer> {
    const context = await browser.newContext({ viewport: { width: 1200, height: 850 } })
    const page = await context.newPage()
    page.setDefaultTimeout(15_000)
    return new Peer(label, appUrl, context, page, true)
  }

  /** Another tab of this same profile (shared IndexedDB, localStorage, BroadcastChannel). */
  async openTab(label: string): Promise<Peer> {
    const page = await this.context.newPage()
    page.setDefaultTimeout(15_000)
    return new Peer(label, this.appUrl, this.context, page, false)
  }

  get isClosed(): boolean {
    return this.closed || this.page.isClosed()
  }

  byTestId(id: string): Locator {
    return this.page.getByTestId(id)
  }

  get editor(): Locator {
    return this.byTestId('editor')
  }

  /** The home page with the document list. */
  async openHome(): Promise<void> {
    await this.page.goto(`${this.appUrl}/`)
    await this.byTestId('document-list').waitFor()
  }

  /** Creates a document from the home page; resolves with its share link. */
  async createDocument(): Promise<string> {
    if ((await this.byTestId('new-document').count()) === 0) await this.openHome()
    await this.byTestId('new-document').click()
    await waitFor('the URL to become a document link /#/d/<docId>/<secret>', () =>
      DOC_HASH.test(this.page.url()),
    )
    await this.editor.waitFor()
    return this.shareLink()
  }

  /** Opens a document link (a share link) in this peer's page and waits for the editor. */
  async openDoc(url: string): Promise<void> {
    await this.page.goto(url)
    await this.editor.waitFor()
  }

  async reload(): Promise<void> {
    await this.page.reload()
    await this.editor.waitFor()
  }

  /** The full share link shown in the UI (an input's value or an element's text). */
  async shareLink(): Promise<string> {
    return this.byTestId('share-link').evaluate((el) =>
      el instanceof HTMLInputElement ? el.value : (el.textContent ?? '').trim(),
    )
  }

  /**
   * Puts the caret at the end (or start) of the document from the keyboard: focus the editor,
   * Ctrl+End (Ctrl+Home), then check the editor's own selection got there. Deliberately not a
   * mouse click: a click that races a collaborator's caret redraw can be lost by ProseMirror (see
   * the report in test/e2e/README.md), and these tests are about replication, not pointer input.
   * The same race can swallow a keypress (seen once under heavy load: the DOM caret moved, then a
   * remote caret redraw restored ProseMirror's old selection), so the key is pressed again, as a
   * person would, up to three times.
   */
  async focusEditor(at: 'end' | 'start' = 'end'): Promise<void> {
    await this.editor.focus()
    let last = ''
    const atTarget = (): Promise<boolean> =>
      this.editor
        .evaluate((el: EditorRoot, where) => {
          if (el.editor === undefined) throw new Error('editor root has no .editor property')
          const { selection, doc } = el.editor.state
          const target =
            where === 'end' ? selection.constructor.atEnd(doc) : selection.constructor.atStart(doc)
          return selection.from === target.from && selection.to === target.to
            ? true
            : `selection ${selection.from}-${selection.to}, ${where} is ${target.from}`
        }, at)
        .then((result) => {
          if (result === true) return true
          last = result
          return false
        })
    try {
      for (let attempt = 1; ; attempt++) {
        await this.page.keyboard.press(at === 'end' ? 'Control+End' : 'Control+Home')
        try {
          await waitFor(`${this.label}: the caret at the ${at} of the document`, atTarget, {
            timeoutMs: 1_500,
          })
          return
        } catch (error) {
          if (attempt === 3) throw error
        }
      }
    } catch (error) {
      throw new Error(`${(error as Error).message}; ${last}`)
    }
  }

  /** Types like a user (one key event per character; '\n' presses Enter). */
  async typeInEditor(text: string, at: 'end' | 'start' = 'end'): Promise<void> {
    await this.focusEditor(at)
    await this.page.keyboard.type(text)
  }

  async press(keys: string): Promise<void> {
    await this.page.keyboard.press(keys)
  }

  /**
   * The document's text, blocks joined by '\n', read from the Tiptap editor rather than the DOM
   * (the DOM also holds collaborators' caret labels): `readEditorText`, the benchmarks' reader.
   */
  async editorText(): Promise<string> {
    return this.editor.evaluate(readEditorText)
  }

  /** The text of the editor's selection, read from its document (blocks joined by '\n'). */
  async selectedText(): Promise<string> {
    return this.editor.evaluate((el: EditorRoot) => {
      if (el.editor === undefined) throw new Error('editor root has no .editor property')
      const { doc, selection } = el.editor.state
      return doc.textBetween(selection.from, selection.to, '\n')
    })
  }

  /** The text of each top-level block (of the document Yjs holds: chunks left out). */
  async editorBlocks(): Promise<string[]> {
    return this.editor.evaluate((el: EditorRoot) => {
      if (el.editor === undefined) throw new Error('editor root has no .editor property')
      const blocks: string[] = []
      el.editor.state.doc.forEach((chunk) => chunk.forEach((node) => blocks.push(node.textContent)))
      return blocks
    })
  }

  /** The document's HTML, without the editor's chunks around its blocks. */
  async editorHtml(): Promise<string> {
    return this.editor.evaluate((el: EditorRoot) => {
      if (el.editor === undefined) throw new Error('editor root has no .editor property')
      const template = document.createElement('template')
      template.innerHTML = el.editor.getHTML()
      for (const chunk of Array.from(template.content.children)) {
        if (chunk.matches('div.chunk')) chunk.replaceWith(...chunk.childNodes)
      }
      return template.innerHTML
    })
  }

  /** Waits until the document's text satisfies `accept`; resolves with that text. */
  async waitForText(
    what: string,
    accept: (text: string) => boolean,
    timeoutMs = 20_000,
  ): Promise<string> {
    let last = ''
    try {
      return await waitFor(
        `${this.label}: ${what}`,
        async () => {
          last = await this.editorText()
          return accept(last) ? last : false
        },
        { timeoutMs },
      )
    } catch (error) {
      throw new Error(
        `${(error as Error).message}; ${this.label}'s text was ${JSON.stringify(last)}`,
      )
    }
  }

  /** The number shown by `peer-count`, or the raw text when it is not a number. */
  async peerCount(): Promise<number | string> {
    const text = (await this.byTestId('peer-count').textContent()) ?? ''
    return /^\s*\d+\s*$/.test(text) ? Number(text) : text
  }

  async waitForPeerCount(expected: number, timeoutMs = 30_000): Promise<void> {
    let last: number | string = ''
    try {
      await waitFor(
        `${this.label}: peer-count to show ${expected}`,
        async () => {
          last = await this.peerCount()
          return last === expected
        },
        { timeoutMs, intervalMs: 100 },
      )
    } catch (error) {
      throw new Error(`${(error as Error).message}; peer-count was ${JSON.stringify(last)}`)
    }
  }

  /** `data-state` of a status element (`sync-status`, `saved-status`). */
  async dataState(testId: string): Promise<DataState> {
    return this.byTestId(testId).getAttribute('data-state')
  }

  async waitForDataState(testId: string, expected: string, timeoutMs = 20_000): Promise<void> {
    let last: DataState = null
    try {
      await waitFor(
        `${this.label}: ${testId} data-state=${expected}`,
        async () => {
          last = await this.dataState(testId)
          return last === expected
        },
        { timeoutMs, intervalMs: 100 },
      )
    } catch (error) {
      throw new Error(`${(error as Error).message}; it was ${JSON.stringify(last)}`)
    }
  }

  /** Sets my display name in the `user-name` input and commits it (Enter, then leave the field). */
  async setUserName(name: string): Promise<void> {
    const input = this.byTestId('user-name')
    await input.fill(name)
    await input.press('Enter')
    await input.blur()
  }

  /**
   * Leaves as a person closing the tab does: the page's unload handlers run (a beforeunload
   * prompt, if any, is accepted), then the profile is closed. Closing the context alone is a
   * crash, not a leave: remote peers then notice only when ICE gives up (~16 s, measured).
   */
  async leave(): Promise<void> {
    await this.closeTab()
    await this.close()
  }

  /** Closes this tab as a person does (unload handlers run); the profile stays. */
  async closeTab(): Promise<void> {
    if (this.page.isClosed()) return
    this.page.on('dialog', (dialog) => void dialog.accept())
    const pageClosed = new Promise<void>((resolve) => this.page.once('close', () => resolve()))
    await this.page.close({ runBeforeUnload: true })
    await pageClosed
  }

  /** Closes this peer's profile (its own) or tab (a tab of another peer's profile). */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.ownsContext) await this.context.close()
    else if (!this.page.isClosed()) await this.page.close()
  }
}
