import { describe, expect, it } from 'vitest'
import { ySyncPluginKey } from '@tiptap/y-tiptap'
import { EditorState, Plugin } from '@tiptap/pm/state'
import { documentSchema } from '../../../src/editor/extensions'
import { localChangesOnly } from '../../../src/editor/local-changes-only'

const schema = documentSchema()

/** A plugin that marks every document change by appending '!' at the start. */
function appender(): Plugin {
  return new Plugin({
    appendTransaction(transactions, _old, state) {
      if (!transactions.some((tr) => tr.docChanged && !tr.getMeta('appended'))) return null
      return state.tr.insertText('!', 1).setMeta('appended', true)
    },
  })
}

function stateWith(plugin: Plugin): EditorState {
  return EditorState.create({ schema, plugins: [plugin] })
}

// No rule of docs/SPEC.md is at stake here: the wrapper only spares receiving peers work (B4's
// large-document row in bench/); formatting reaching every peer (EDIT-3) is proven end to end
// in test/e2e/coedit.test.ts.
describe('local changes only', () => {
  it('an appendTransaction plugin still reacts to local typing', () => {
    const state = stateWith(localChangesOnly(appender()))
    const { state: next } = state.applyTransaction(state.tr.insertText('hi', 1))
    expect(next.doc.textContent).toBe('!hi')
  })

  it('it does not run again on a change that arrives from Yjs', () => {
    const state = stateWith(localChangesOnly(appender()))
    const remote = state.tr.insertText('hi', 1).setMeta(ySyncPluginKey, { isChangeOrigin: true })
    const { state: next } = state.applyTransaction(remote)
    expect(next.doc.textContent).toBe('hi')
  })

  it('a plugin without appendTransaction is handed back as it is', () => {
    const plain = new Plugin({ props: {} })
    expect(localChangesOnly(plain)).toBe(plain)
  })
})
