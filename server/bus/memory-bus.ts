// The in-memory bus: instances in one process sharing a broker. The default server makes a
// private broker, so a single instance pays nothing for the bus; tests share one broker between
// several in-process servers to prove scale-out semantics without Redis.
import type { Topic } from '../../src/protocol/signaling'
import type { Bus, BusEvents } from './bus'

export class MemoryBroker {
  private readonly topics = new Map<Topic, Set<MemoryBus>>()

  /** @internal */ join(topic: Topic, bus: MemoryBus): void {
    let buses = this.topics.get(topic)
    if (buses === undefined) this.topics.set(topic, (buses = new Set()))
    buses.add(bus)
  }

  /** @internal */ leave(topic: Topic, bus: MemoryBus): void {
    const buses = this.topics.get(topic)
    if (buses === undefined) return
    buses.delete(bus)
    if (buses.size === 0) this.topics.delete(topic)
  }

  /** @internal */ publish(from: MemoryBus, topic: Topic, text: string): void {
    for (const bus of this.topics.get(topic) ?? []) {
      if (bus !== from) bus.deliver(topic, text)
    }
  }

  /**
   * Number of (topic, instance) subscriptions, of one topic or of all, for tests of the bus
   * contract (test/contracts/bus.contract.ts).
   */
  subscriptionCount(topic?: Topic): number {
    if (topic !== undefined) return this.topics.get(topic)?.size ?? 0
    let count = 0
    for (const buses of this.topics.values()) count += buses.size
    return count
  }
}

export class MemoryBus implements Bus {
  readonly kind = 'memory'
  private events: BusEvents | null = null
  private readonly subscribed = new Set<Topic>()

  constructor(private readonly broker: MemoryBroker = new MemoryBroker()) {}

  connect(events: BusEvents): Promise<void> {
    this.events = events
    return Promise.resolve()
  }

  subscribe(topic: Topic): void {
    if (this.events === null || this.subscribed.has(topic)) return
    this.subscribed.add(topic)
    this.broker.join(topic, this)
  }

  unsubscribe(topic: Topic): void {
    if (!this.subscribed.delete(topic)) return
    this.broker.leave(topic, this)
  }

  publish(topic: Topic, text: string): Promise<void> {
    if (this.events !== null) this.broker.publish(this, topic, text)
    return Promise.resolve()
  }

  ready(): boolean {
    return this.events !== null
  }

  close(): Promise<void> {
    for (const topic of this.subscribed) this.broker.leave(topic, this)
    this.subscribed.clear()
    this.events = null
    return Promise.resolve()
  }

  /** @internal */ deliver(topic: Topic, text: string): void {
    this.events?.message({ topic, text })
  }
}
