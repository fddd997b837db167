import { isChangeOrigin } from '@tiptap/extension-collaboration'
import type { Transaction } from '@tiptap/pm/state'
import { Plugin } from '@tiptap/pm/state'
import { chunkGuardKey } from './chunk-guard'

// A plugin's appendTransaction reacts to what this person did, not to what arrives from Yjs: the
// author's editor already ran it (Tiptap's autolink, say) and its result arrives with the change.
// Running it again on every receiving peer is wasted work, and was costly there: stock y-tiptap
// rebuilds every ProseMirror node on each remote change, so autolink's
// `oldState.doc.eq(newState.doc)` compared the whole document node by node, ~4 ms per remote
// keystroke at automerge-paper size (CPU profile of B4's large-document row). The block binding
// (block-binding.ts) keeps unchanged nodes identical, which `eq` skips, but the work stays wasted.
export function localChangesOnly<T>(plugin: Plugin<T>): Plugin<T> {
  const append = plugin.spec.appendTransaction
  if (!append) return plugin
  return new Plugin<T>({
    ...plugin.spec,
    appendTransaction(transactions, oldState, newState) {
      // A chunk move (chunk-guard.ts) carries the origin too, but changes nothing a user made.
      const arrived = (tr: Transaction): boolean => isChangeOrigin(tr) && !tr.getMeta(chunkGuardKey)
      if (transactions.some(arrived)) return null
      return append.call(this, transactions, oldState, newState)
    },
  })
}
