// Topics and their local subscribers on this instance, joined to the other instances through
// the bus. Rooms reference-count topics for the bus: it hears of a topic when the first local
// subscriber arrives and when the last one leaves, so an instance listens only to topics its own
// clients are in. A publish is delivered locally here and offered once to the bus; a publish from
// the bus is delivered locally only, which together gives exactly-once delivery per subscriber.
import { relayText, type Topic } from '../../src/protocol/signaling'
import type { Bus } from '../bus/bus'
import type { Metrics } from '../metrics'
import { encodeTextFrame, type TextFrame } from './frame'

export interface Subscriber {
  /**
   * Sends one relayed frame, already encoded; the subscriber applies its own backpressure
   * bound. The same frame goes to every subscriber and must not be modified. Returns whether
   * it was queued (false once the subscriber is closing).
   */
  deliver(frame: TextFrame): boolean
}

export class Rooms {
  private readonly topics = new Map<Topic, Set<Subscriber>>()

  constructor(
    private readonly bus: Bus,
    private readonly metrics: Metrics,
  ) {}

  /** Number of topics with at least one local subscriber. */
  get size(): number {
    return this.topics.size
  }

  subscribe(subscriber: Subscriber, topic: Topic): void {
    let subscribers = this.topics.get(topic)
    if (subscribers === undefined) {
      this.topics.set(topic, (subscribers = new Set()))
      this.bus.subscribe(topic)
    }
    subscribers.add(subscriber)
  }

  unsubscribe(subscriber: Subscriber, topic: Topic): void {
    const subscribers = this.topics.get(topic)
    if (subscribers === undefined || !subscribers.delete(subscriber)) return
    if (subscribers.size === 0) {
      this.topics.delete(topic)
      this.bus.unsubscribe(topic)
    }
  }

  /** A publish from a local client: to local subscribers, and once to the other instances. */
  publish(topic: Topic, text: string): void {
    this.deliverLocal(topic, text)
    const started = performance.now()
    void this.bus
      .publish(topic, text)
      .then(() => this.metrics.busPublishSeconds.observe((performance.now() - started) / 1000))
  }

  /** A publish that arrived through the bus from another instance. */
  deliverRemote(topic: Topic, text: string): void {
    this.metrics.busMessagesIn.inc()
    this.deliverLocal(topic, text)
  }

  private deliverLocal(topic: Topic, text: string): void {
    const subscribers = this.topics.get(topic)
    if (subscribers === undefined) return
    // `clients` counts this instance's receivers, as y-webrtc's server does for its one process.
    // Encoded once per publish, not once per receiver: in a room of 32 that is 1 UTF-8 encoding
    // and 1 frame header instead of 32 (y-webrtc's stock server even re-serialises the JSON per
    // receiver).
    const frame = encodeTextFrame(relayText(text, subscribers.size))
    let sent = 0
    // A subscriber dropped during delivery leaves the set; Set iteration tolerates that.
    for (const subscriber of subscribers) if (subscriber.deliver(frame)) sent++
    // Counted once per publish rather than per receiver: prom-client's inc is not free.
    if (sent > 0) {
      this.metrics.framesOut.inc(sent)
      this.metrics.bytesOut.inc(sent * frame.payload.byteLength)
    }
  }
}
