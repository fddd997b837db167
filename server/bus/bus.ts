// The scale-out bus: the narrow port through which server instances share topics, in the style
// of automerge-repo's network adapters. Adapters: memory-bus.ts (one process), redis-bus.ts.
//
// Contract, for every adapter:
// - `subscribe(topic)` / `unsubscribe(topic)` are called by the rooms with a reference count
//   already applied: once when a topic gains its first local subscriber, once when it loses its
//   last. The adapter listens to a topic only in between.
// - `publish(topic, text)` offers a publish frame (as received from a client) to every OTHER
//   instance that is subscribed to the topic, exactly once each. It is never delivered back to
//   the instance that published it: that instance has already delivered it to its own clients.
// - Delivery is best effort, like the signaling protocol itself: while the bus is unreachable,
//   publishes are dropped (and counted), local delivery carries on, and `ready()` is false.
// - No method throws for a network fault; faults are reported through `onError`.
import type { Topic } from '../../src/protocol/signaling'

export interface BusMessage {
  readonly topic: Topic
  /** The publish frame as the originating client sent it (no `clients` member added yet). */
  readonly text: string
}

export interface BusEvents {
  /** A publish from another instance on a topic this instance is subscribed to. */
  message(message: BusMessage): void
  /** A failed operation; `op` is a closed set so it can label a metric. */
  error(op: 'publish' | 'subscribe' | 'unsubscribe' | 'connection', error: Error): void
}

export interface Bus {
  readonly kind: 'memory' | 'redis'
  /** Connects; resolves once usable, rejects if the first connection fails outright. */
  connect(events: BusEvents): Promise<void>
  subscribe(topic: Topic): void
  unsubscribe(topic: Topic): void
  /** Resolves when the bus accepted the message (or gave up on it); never rejects. */
  publish(topic: Topic, text: string): Promise<void>
  /** True while publishes and subscriptions reach the other instances. */
  ready(): boolean
  /** Releases every resource; afterwards no event fires. */
  close(): Promise<void>
}
