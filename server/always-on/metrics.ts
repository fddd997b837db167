// Metrics of the always-on peer, on the server's one registry (rule STORE-11). Label values come
// from closed sets only. Store totals are read from the engine at scrape time.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { PutRejection } from '../../src/protocol/always-on'
import type { EntryStore } from './store'

export interface StoreMetrics {
  readonly puts: Counter<'kind'>
  readonly rejections: Counter<'reason'>
  readonly compactions: Counter
  readonly compactedEntries: Counter
  readonly writeSeconds: Histogram<'kind'>
  readonly relayed: Counter<'kind'>
  readonly corruptRows: Counter
  observeConnections(count: () => number): void
}

export function createStoreMetrics(registry: Registry, store: EntryStore): StoreMetrics {
  let connections = (): number => 0
  const totals = (pick: 'documents' | 'entries' | 'bytes', name: string, help: string): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        try {
          this.set((await store.totals())[pick])
        } catch {
          // The store is unreachable: /readyz says so; the gauge keeps its last value.
        }
      },
    })
  }
  totals('documents', 'meshpad_store_documents', 'Documents held by the always-on peer')
  totals('entries', 'meshpad_store_entries', 'Stored entries (updates and snapshots)')
  totals('bytes', 'meshpad_store_bytes', 'Bytes of stored entries')
  new Gauge({
    name: 'meshpad_store_connections',
    help: 'Open /store connections',
    registers: [registry],
    collect() {
      this.set(connections())
    },
  })
  return {
    puts: new Counter({
      name: 'meshpad_store_puts_total',
      help: 'Entries accepted, by kind (update, snapshot, ephemeral)',
      labelNames: ['kind'],
      registers: [registry],
    }),
    rejections: new Counter({
      name: 'meshpad_store_rejections_total',
      help: 'Puts refused, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    compactions: new Counter({
      name: 'meshpad_store_compactions_total',
      help: 'Snapshots stored (each supersedes the entries it covers)',
      registers: [registry],
    }),
    compactedEntries: new Counter({
      name: 'meshpad_store_compacted_entries_total',
      help: 'Entries dropped because a durable snapshot covers them',
      registers: [registry],
    }),
    writeSeconds: new Histogram({
      name: 'meshpad_store_write_seconds',
      help: 'Time from a put arriving to its durable acknowledgement',
      labelNames: ['kind'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers: [registry],
    }),
    relayed: new Counter({
      name: 'meshpad_store_relayed_total',
      help: 'Entries forwarded live to other subscribers, by kind',
      labelNames: ['kind'],
      registers: [registry],
    }),
    corruptRows: new Counter({
      name: 'meshpad_store_corrupt_rows_total',
      help: 'Stored entries that no longer parse; skipped when read',
      registers: [registry],
    }),
    observeConnections(count) {
      connections = count
    },
  }
}

export type { PutRejection }
