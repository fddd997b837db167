import { indexedDbStorage } from '../../src/sync/idb-store'
import { docStoreCases } from '../contracts/doc-store.cases'

// The browser side of doc-store-chromium.test.ts: bundled into one script for a Chromium page,
// where it runs a case of the local storage contract against Chromium's own IndexedDB.

let counter = 0
const fresh = (): string => `contract-${Date.now()}-${++counter}`

/** Runs the case titled `title`; resolves to null when it holds, else to what broke. */
export async function run(title: string): Promise<string | null> {
  const found = docStoreCases.find((contractCase) => contractCase.title === title)
  if (found === undefined) return `no case titled ${JSON.stringify(title)}`
  try {
    await found.run(indexedDbStorage, fresh)
    return null
  } catch (error) {
    return error instanceof Error ? (error.stack ?? error.message) : String(error)
  }
}
