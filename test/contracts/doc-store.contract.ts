import { describe, it } from 'vitest'
import type { DocStorage } from '../../src/sync/local-port'
import { docStoreCases } from './doc-store.cases'

// The local storage port's contract (src/sync/local-port.ts) as a vitest suite, one test per case
// of doc-store.cases.ts, as automerge-repo runs one suite against each storage adapter. In Node
// the engine runs on fake-indexeddb (test/unit/sync/doc-store.contract.test.ts); the same cases
// run in real Chromium in test/integration/doc-store-chromium.test.ts.

export function runDocStoreContract(name: string, storage: () => DocStorage): void {
  describe(`local storage contract (${name})`, { timeout: 20_000 }, () => {
    let counter = 0
    const fresh = (): string => `contract-${process.pid}-${Date.now()}-${++counter}`
    for (const contractCase of docStoreCases) {
      it(contractCase.title, () => contractCase.run(storage(), fresh))
    }
  })
}
