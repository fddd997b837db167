import 'fake-indexeddb/auto'
import { indexedDbStorage } from '../../../src/sync/idb-store'
import { runDocStoreContract } from '../../contracts/doc-store.contract'

// The IndexedDB engine on fake-indexeddb: the local storage contract's logic in Node. Real
// Chromium runs the same cases in test/integration/doc-store-chromium.test.ts.
runDocStoreContract('IndexedDB engine, fake-indexeddb', () => indexedDbStorage)
