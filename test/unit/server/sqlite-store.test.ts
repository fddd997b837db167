import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll } from 'vitest'
import { SqliteStore } from '../../../server/always-on/sqlite-store'
import { runEntryStoreContract } from '../../contracts/entry-store.contract'

// The embedded engine on a real file in a temporary directory.
const root = mkdtempSync(path.join(tmpdir(), 'meshpad-sqlite-'))
let dir = root
let round = 0
afterAll(() => rmSync(root, { recursive: true, force: true }))

runEntryStoreContract('sqlite', {
  open: () => Promise.resolve(new SqliteStore(dir)),
  fresh: () => {
    round += 1
    dir = path.join(root, String(round))
    return Promise.resolve()
  },
})
