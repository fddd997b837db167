import * as Y from 'yjs'
import type { DocStorage, DocStore, DocWriter } from '../../src/sync/local-port'

// The cases of the local storage port's contract (src/sync/local-port.ts; rules LOCAL-1,
// SAVE-1..4, LINK-7, LIST-2), written without vitest so the same cases run in Node against
// fake-indexeddb (doc-store.contract.ts, test/unit/sync/doc-store.contract.test.ts) and inside
// real Chromium against its IndexedDB (test/integration/doc-store-chromium.test.ts). A case
// throws on the first broken promise, saying which.

export interface DocStoreCase {
  readonly title: string
  /** `fresh()` names a store no other case or run has used. */
  run(storage: DocStorage, fresh: () => string): Promise<void>
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`doc-store contract: ${what}`)
}

function same(actual: unknown, expected: unknown, what: string): void {
  const [a, e] = [JSON.stringify(actual), JSON.stringify(expected)]
  check(a === e, `${what}: expected ${e}, got ${a}`)
}

/** A document whose text is `text`, as a stored update (its size varies with the random client id). */
function updateOf(text: string): Uint8Array {
  const doc = new Y.Doc()
  doc.getText('t').insert(0, text)
  return Y.encodeStateAsUpdate(doc)
}

const textOf = (doc: Y.Doc): string => doc.getText('t').toString()

/** A writer fed by `doc`'s updates, as an open document feeds it; `durable()` awaits a sequence. */
function attach(store: DocStore, doc: Y.Doc) {
  const origin = {}
  let durableUpTo = 0
  const failures: unknown[] = []
  const waiters: { seq: number; resolve: () => void }[] = []
  const writer: DocWriter = store.writer(doc, origin, {
    durable(seq) {
      check(seq > durableUpTo, `durable(${seq}) after durable(${durableUpTo}): out of order`)
      durableUpTo = seq
      for (const waiter of waiters.filter((w) => w.seq <= seq)) waiter.resolve()
    },
    failed: (error) => failures.push(error),
  })
  doc.on('update', (update: Uint8Array, from: unknown) => {
    if (from !== origin) writer.write(update)
  })
  return {
    writer,
    failures,
    durable: (seq: number): Promise<void> =>
      seq <= durableUpTo
        ? Promise.resolve()
        : new Promise((resolve) => waiters.push({ seq, resolve })),
  }
}

/** Text of about 96 KB: its state is a row the writer's compaction leaves alone (SAVE-2). */
const BOOK = 'lorem ipsum '.repeat(8000)

/** Store `name`, opened, holding BOOK as its one row. */
async function storeWithBook(storage: DocStorage, name: string): Promise<DocStore> {
  const store = await storage.open(name)
  await store.append(updateOf(BOOK))
  return store
}

async function loadInto(storage: DocStorage, name: string): Promise<[Y.Doc, number, number]> {
  const store = await storage.open(name)
  const doc = new Y.Doc()
  const report = await store.loadAndCompact(doc, null)
  // Counted at once: the open resolves before its rewrite or fold is written, and a transaction
  // opened after it must see them (SAVE-2).
  const rows = await store.count()
  check(await report.compacted, "the open's rewrite or fold was written")
  store.close()
  return [doc, report.corrupt, rows]
}

export const docStoreCases: readonly DocStoreCase[] = [
  {
    title: '[LOCAL-1] a store never written opens empty and reads nothing',
    async run(storage, fresh) {
      const store = await storage.open(fresh())
      same(await store.count(), 0, 'rows of a new store')
      const doc = new Y.Doc()
      same(await store.read(doc, null), { rows: 0, corrupt: 0, bytes: 0 }, 'read')
      const { rows, corrupt, bytes, compacted } = await store.loadAndCompact(doc, null)
      same({ rows, corrupt, bytes }, { rows: 0, corrupt: 0, bytes: 0 }, 'load')
      same(await compacted, true, 'an open with nothing to write settles')
      same(await store.count(), 0, 'rows after loading nothing')
      same(textOf(doc), '', 'text')
      store.close()
    },
  },
  {
    title: '[SAVE-1] updates written in one task are one row, reported durable in order',
    async run(storage, fresh) {
      const name = fresh()
      const store = await storage.open(name)
      const doc = new Y.Doc()
      const { writer, durable, failures } = attach(store, doc)
      const text = doc.getText('t')
      text.insert(0, 'a')
      text.insert(1, 'b')
      text.insert(2, 'c')
      await durable(3)
      same(await store.count(), 1, 'rows after one task of three updates')
      text.insert(3, 'd')
      await durable(4)
      same(await store.count(), 2, 'rows after a second task')
      // close() commits what is queued, then writes nothing more.
      text.insert(4, 'e')
      writer.close()
      await durable(5)
      text.insert(5, 'never stored')
      same(failures, [], 'failures')
      store.close()
      const [copy, , rows] = await loadInto(storage, name)
      same(textOf(copy), 'abcde', 'text reloaded')
      same(rows, 1, 'rows after reopening')
    },
  },
  {
    title:
      '[SAVE-2] opening compacts every row into one, atomically; reopening never grows the store',
    async run(storage, fresh) {
      const name = fresh()
      const store = await storage.open(name)
      for (const line of ['one ', 'two ', 'three ']) await store.append(updateOf(line))
      same(await store.count(), 3, 'rows appended')
      store.close()
      const sizes: number[] = []
      let expected = ''
      for (let reopen = 0; reopen < 3; reopen += 1) {
        const again = await storage.open(name)
        const doc = new Y.Doc()
        const report = await again.loadAndCompact(doc, null)
        same(await again.count(), 1, `rows after open ${reopen + 1}`)
        same(report.bytes, Y.encodeStateAsUpdate(doc).byteLength, 'bytes reported: the state')
        sizes.push(report.bytes)
        expected ||= textOf(doc)
        same(textOf(doc), expected, 'text across reopenings')
        again.close()
      }
      same(new Set(sizes).size, 1, 'stored size across reopenings')
      for (const line of ['one ', 'two ', 'three '])
        check(expected.includes(line), `kept "${line}"`)
    },
  },
  {
    title:
      "[SAVE-2] a writer's compaction folds the rows written since the open and leaves the document's state as it is",
    async run(storage, fresh) {
      // Issue 12: rewriting a book's whole state every 200 keystrokes stalled typing; a fold
      // costs what the recent rows hold.
      const name = fresh()
      const store = await storeWithBook(storage, name)
      const doc = new Y.Doc()
      await store.loadAndCompact(doc, null)
      const { writer, durable, failures } = attach(store, doc)
      for (let i = 0; i < 5; i += 1) {
        doc.getText('t').insert(0, String(i))
        await durable(i + 1)
      }
      same(await store.count(), 6, 'rows before the compaction: the state and five edits')
      await writer.compact()
      same(await store.count(), 2, 'rows after it: the state and the five edits folded')
      same(failures, [], 'failures')
      store.close()
      const [copy, , rows] = await loadInto(storage, name)
      same(textOf(copy), `43210${BOOK}`, 'text reloaded')
      same(rows, 2, 'rows after reopening: five edits are not worth rewriting a book for')
    },
  },
  {
    title:
      '[SAVE-2] an open folds the rows of short sessions, and rewrites all as one once those after the first hold half as many bytes',
    async run(storage, fresh) {
      const name = fresh()
      const store = await storeWithBook(storage, name)
      for (const edit of ['a few edits ', 'a second session ', 'a third '])
        await store.append(updateOf(edit))
      store.close()
      const [some, , rowsAfterSome] = await loadInto(storage, name)
      same(rowsAfterSome, 2, 'rows after an open with a few edits: the book and their fold')
      for (const part of ['lorem ipsum', 'a few edits', 'a second session', 'a third'])
        check(textOf(some).includes(part), `read "${part}"`)
      const again = await storage.open(name)
      await again.append(updateOf('dolor sit '.repeat(5000)))
      again.close()
      const [many, , rowsAfterMany] = await loadInto(storage, name)
      same(rowsAfterMany, 1, 'rows after an open with half a book of edits')
      for (const part of ['lorem ipsum', 'a few edits', 'a third', 'dolor sit'])
        check(textOf(many).includes(part), `kept "${part}"`)
    },
  },
  {
    title: '[SAVE-3] a row that is not a Yjs update is set aside and counted once; the rest loads',
    async run(storage, fresh) {
      const name = fresh()
      const store = await storage.open(name)
      const kept = updateOf('kept text')
      await store.append(kept)
      await store.append(new Uint8Array([255, 255, 255, 1, 2, 3]))
      // A read skips it and writes nothing.
      const peek = new Y.Doc()
      same(await store.read(peek, null), { rows: 2, corrupt: 1, bytes: kept.byteLength }, 'read')
      same(await store.count(), 2, 'rows after a read')
      store.close()
      const [doc, corrupt, rows] = await loadInto(storage, name)
      same([textOf(doc), corrupt, rows], ['kept text', 1, 1], 'first load: text, corrupt, rows')
      const [again, corruptAgain] = await loadInto(storage, name)
      same(
        [textOf(again), corruptAgain],
        ['kept text', 0],
        'second load: set aside, not lost again',
      )
    },
  },
  {
    title:
      '[SAVE-4] a compaction folds and reads in rows another tab added meanwhile, so sharing a store loses nothing',
    async run(storage, fresh) {
      const name = fresh()
      const tabA = await storage.open(name)
      const tabB = await storage.open(name)
      const docA = new Y.Doc()
      const a = attach(tabA, docA)
      docA.getText('t').insert(0, 'from A ')
      await a.durable(1)
      await tabB.append(updateOf('from B '))
      docA.getText('t').insert(0, 'again ')
      await a.durable(2)
      await a.writer.compact()
      // The first row stays as it is (SAVE-2); the two rows after it are folded into one.
      same(await tabA.count(), 2, 'rows after the compaction')
      check(textOf(docA).includes('from B'), "the compacting tab read in the other tab's row")
      tabA.close()
      tabB.close()
      const [doc] = await loadInto(storage, name)
      check(
        textOf(doc).includes('from A') && textOf(doc).includes('from B'),
        "both tabs' text stored",
      )
    },
  },
  {
    title: '[LINK-7] a store belongs to the first address that claims it, also after reopening',
    async run(storage, fresh) {
      const name = fresh()
      const store = await storage.open(name)
      same(await store.claim('room-a'), 'claimed', 'first claim')
      same(await store.claim('room-a'), 'claimed', 'same address again')
      same(await store.claim('room-b'), 'mismatch', 'another address')
      store.close()
      const again = await storage.open(name)
      same(await again.claim('room-b'), 'mismatch', 'another address after reopening')
      same(await again.claim('room-a'), 'claimed', 'owner after reopening')
      again.close()
    },
  },
  {
    title:
      '[LIST-2] remove deletes the store with its claim; removing one never opened is no error',
    async run(storage, fresh) {
      const name = fresh()
      const store = await storage.open(name)
      await store.claim('room-a')
      await store.append(updateOf('gone'))
      store.close()
      await storage.remove(name)
      await storage.remove(fresh())
      const again = await storage.open(name)
      same(await again.count(), 0, 'rows after removal')
      same(await again.claim('room-b'), 'claimed', 'claim after removal')
      again.close()
    },
  },
]
