// Prometheus metrics (prom-client), one registry per server so several servers can run in one
// process (tests). Label values come from closed sets only, so series stay bounded.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

export interface Metrics {
  readonly registry: Registry
  readonly connectionsAccepted: Counter
  readonly framesIn: Counter<'type'>
  readonly framesOut: Counter
  readonly bytesIn: Counter
  readonly bytesOut: Counter
  readonly rejections: Counter<'reason' | 'detail'>
  readonly busPublishSeconds: Histogram
  readonly busMessagesIn: Counter
  readonly busErrors: Counter<'op'>
  /** Samples the live gauges at scrape time, so they can never drift from the truth. */
  observe(sample: () => { connections: number; topics: number; addresses: number }): void
}

export function createMetrics(): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'meshpad_' })
  let sample = (): { connections: number; topics: number; addresses: number } => ({
    connections: 0,
    topics: 0,
    addresses: 0,
  })
  new Gauge({
    name: 'meshpad_connections',
    help: 'Open signaling WebSocket connections',
    registers: [registry],
    collect() {
      this.set(sample().connections)
    },
  })
  new Gauge({
    name: 'meshpad_topics',
    help: 'Topics with at least one local subscriber',
    registers: [registry],
    collect() {
      this.set(sample().topics)
    },
  })
  new Gauge({
    name: 'meshpad_client_addresses',
    help: 'Distinct client addresses with open connections',
    registers: [registry],
    collect() {
      this.set(sample().addresses)
    },
  })
  return {
    registry,
    connectionsAccepted: new Counter({
      name: 'meshpad_connections_accepted_total',
      help: 'Signaling connections accepted (including ones closed at once for limits)',
      registers: [registry],
    }),
    framesIn: new Counter({
      name: 'meshpad_frames_in_total',
      help: 'Inbound signaling frames by type (invalid = rejected)',
      labelNames: ['type'],
      registers: [registry],
    }),
    framesOut: new Counter({
      name: 'meshpad_frames_out_total',
      help: 'Outbound signaling frames (relayed publishes and pongs)',
      registers: [registry],
    }),
    bytesIn: new Counter({
      name: 'meshpad_bytes_in_total',
      help: 'Inbound signaling payload bytes',
      registers: [registry],
    }),
    bytesOut: new Counter({
      name: 'meshpad_bytes_out_total',
      help: 'Outbound signaling payload bytes',
      registers: [registry],
    }),
    rejections: new Counter({
      name: 'meshpad_rejections_total',
      help: 'Connections closed for a violation, by close reason and detail',
      labelNames: ['reason', 'detail'],
      registers: [registry],
    }),
    busPublishSeconds: new Histogram({
      name: 'meshpad_bus_publish_seconds',
      help: 'Time for the bus to accept a publish (Redis round trip; ~0 in memory)',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    busMessagesIn: new Counter({
      name: 'meshpad_bus_messages_in_total',
      help: 'Publishes received from other instances through the bus',
      registers: [registry],
    }),
    busErrors: new Counter({
      name: 'meshpad_bus_errors_total',
      help: 'Bus operations that failed (publish/subscribe while the bus is unreachable)',
      labelNames: ['op'],
      registers: [registry],
    }),
    observe(next) {
      sample = next
    },
  }
}
