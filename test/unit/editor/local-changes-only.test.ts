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

describe('local changes only', () => {
  it('EDIT-3 an appendTransaction plugin still reacts to local typing', () => {
    const state = stateWith(localChangesOnly(appender()))
    const { state: next } = state.applyTransaction(state.tr.insertText('hi', 1))
    expect(next.doc.textContent).toBe('!hi')
  })

  it('EDIT-3 it does not run again on a change that arrives from Yjs', () => {
    const state = stateWith(localChangesOnly(appender()))
    const remote = state.tr.insertText('hi', 1).setMeta(ySyncPluginKey, { isChangeOrigin: true })
    const { state: next } = state.applyTransaction(remote)
    expect(next.doc.textContent).toBe('hi')
  })

  it('EDIT-3 a plugin without appendTransaction is handed back as it is', () => {
    const plain = new Plugin({ props: {} })
    expect(localChangesOnly(plain)).toBe(plain)
  })
})
