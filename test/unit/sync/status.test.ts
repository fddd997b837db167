import { describe, expect, it } from 'vitest'
import { StatusModel, type SyncStatus } from '../../../src/sync/status'

describe('status model', () => {
  it('[STATUS-1] notifies on subscribe and on real changes only', () => {
    const model = new StatusModel()
    const seen: SyncStatus[] = []
    model.subscribe((status) => seen.push(status))
    model.update({ peers: 0 })
    model.update({ peers: 2, connection: 'connected' })
    model.update({ peers: 2 })
    model.update({ saved: false })
    expect(seen.map((status) => [status.peers, status.connection, status.saved])).toEqual([
      [0, 'connecting', true],
      [2, 'connected', true],
      [2, 'connected', false],
    ])
  })
})
