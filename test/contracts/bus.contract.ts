import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Topic } from '../../src/protocol/signaling'
import type { Bus, BusMessage } from '../../server/bus/bus'

// The contract of the signaling bus (server/bus/bus.ts), run against every adapter, as
// automerge-repo runs one acceptance suite against each of its storage adapters: the memory bus
// in the unit tests (test/unit/server/memory-bus.test.ts), the Redis bus against a real
// redis-server in the integration tests (test/integration/signaling-redis-bus.test.ts).
//
// Delivery may be asynchronous (Redis), so nothing here assumes a message has arrived or has not:
// a positive check waits for it, and a negative one first waits for a later message sent along
// the same path (Redis delivers one connection's publishes in order), after which anything
// earlier would have arrived too. The contract promises no order between publishes, so lists of
// received texts are compared sorted.

export interface BusBackend {
  /** A new, unconnected bus instance; every instance from one backend shares it. */
  newBus(): Bus
  /** How many instances the backend delivers `topic` to now, as the backend itself counts them. */
  listeners(topic: Topic): Promise<number>
  /** Releases what setup made besides the buses (the contract closes those). */
  teardown?(): Promise<void>
}

export type BusSetup = () => Promise<BusBackend>

interface Instance {
  readonly bus: Bus
  readonly heard: BusMessage[]
  readonly errors: string[]
}

const WAIT = { timeout: 10_000, interval: 10 }

const topic = (name: string): Topic => name as Topic
const frame = (name: string, data: string): string =>
  JSON.stringify({ type: 'publish', topic: name, data })
const texts = (instance: Instance, on?: string): string[] =>
  instance.heard
    .filter((message) => on === undefined || message.topic === on)
    .map((message) => message.text)
    .sort()

export function runBusContract(name: string, setup: BusSetup): void {
  describe(`signaling bus contract (${name})`, { timeout: 30_000 }, () => {
    let backend: BusBackend | null = null
    const open: Bus[] = []

    afterEach(async () => {
      await Promise.all(open.splice(0).map((bus) => bus.close()))
      await backend?.teardown?.()
      backend = null
    })

    /** `count` connected instances on one fresh backend, each recording what it hears. */
    async function instances(count: number): Promise<Instance[]> {
      backend = await setup()
      const made: Instance[] = []
      for (let i = 0; i < count; i++) {
        const bus = backend.newBus()
        const instance: Instance = { bus, heard: [], errors: [] }
        open.push(bus)
        await bus.connect({
          message: (message) => instance.heard.push(message),
          error: (op) => instance.errors.push(op),
        })
        made.push(instance)
      }
      return made
    }

    async function listenedBy(name: string, count: number): Promise<void> {
      const current = backend
      if (current === null) throw new Error('listenedBy before instances()')
      await expect.poll(() => current.listeners(topic(name)), WAIT).toBe(count)
    }

    it('[SIG-2] [SIG-17] a publish reaches every other subscribed instance once, verbatim, and never the publisher', async () => {
      const [a, b, c] = (await instances(3)) as [Instance, Instance, Instance]
      a.bus.subscribe(topic('room'))
      b.bus.subscribe(topic('room'))
      c.bus.subscribe(topic('elsewhere'))
      await listenedBy('room', 2)
      await listenedBy('elsewhere', 1)

      // Texts are relayed byte for byte: non-ASCII and a newline included.
      const fromA = frame('room', 'from a: é ✓\nsecond line')
      const fromB = frame('room', 'from b')
      await a.bus.publish(topic('room'), fromA)
      await b.bus.publish(topic('room'), fromB)
      // An instance may publish on a topic it is not in (the protocol allows it).
      const fromC = frame('room', 'from c')
      await c.bus.publish(topic('room'), fromC)
      await vi.waitFor(() => {
        expect(texts(a)).toEqual([fromB, fromC].sort())
        expect(texts(b)).toEqual([fromA, fromC].sort())
      }, WAIT)
      expect([...a.heard, ...b.heard].every((message) => message.topic === 'room')).toBe(true)

      // c is not in `room`: once a later publish on its own topic arrives, nothing else has.
      const marker = frame('elsewhere', 'marker')
      await a.bus.publish(topic('elsewhere'), marker)
      await vi.waitFor(() => expect(texts(c)).toEqual([marker]), WAIT)
      expect(c.heard.map((message) => message.topic)).toEqual(['elsewhere'])
      // Still exactly once each, and no error on the way.
      expect(texts(a, 'room')).toHaveLength(2)
      expect(texts(b, 'room')).toHaveLength(2)
      expect([...a.errors, ...b.errors, ...c.errors]).toEqual([])
    })

    it('[SIG-17] an instance listens to a topic only between subscribe and unsubscribe; twice is once', async () => {
      const [a, b] = (await instances(2)) as [Instance, Instance]
      a.bus.subscribe(topic('barrier'))
      a.bus.subscribe(topic('brief'))
      a.bus.subscribe(topic('brief'))
      await listenedBy('barrier', 1)
      await listenedBy('brief', 1)

      const first = frame('brief', 'first')
      const second = frame('brief', 'second')
      await b.bus.publish(topic('brief'), first)
      await b.bus.publish(topic('brief'), second)
      await vi.waitFor(() => expect(texts(a, 'brief')).toEqual([first, second].sort()), WAIT)

      a.bus.unsubscribe(topic('brief'))
      await listenedBy('brief', 0)
      // Leaving twice, or leaving a topic never joined, is harmless.
      a.bus.unsubscribe(topic('brief'))
      a.bus.unsubscribe(topic('never-joined'))
      await b.bus.publish(topic('brief'), frame('brief', 'after leaving'))
      const marker = frame('barrier', 'marker')
      await b.bus.publish(topic('barrier'), marker)
      await vi.waitFor(() => expect(texts(a, 'barrier')).toEqual([marker]), WAIT)
      expect(texts(a, 'brief')).toEqual([first, second].sort())
    })

    it('[SIG-13] [SIG-17] ready() while connected; close() leaves every topic and silences the instance', async () => {
      const [a, b, c] = (await instances(3)) as [Instance, Instance, Instance]
      expect(a.bus.ready()).toBe(true)
      a.bus.subscribe(topic('t'))
      a.bus.subscribe(topic('u'))
      c.bus.subscribe(topic('t'))
      await listenedBy('t', 2)
      await listenedBy('u', 1)

      await a.bus.close()
      expect(a.bus.ready()).toBe(false)
      await listenedBy('t', 1)
      await listenedBy('u', 0)
      const after = frame('t', 'after close')
      await b.bus.publish(topic('t'), after)
      await vi.waitFor(() => expect(texts(c)).toEqual([after]), WAIT)
      expect(a.heard).toEqual([])
      // publish() never rejects, not even on a closed instance.
      await expect(a.bus.publish(topic('t'), frame('t', 'from a closed bus'))).resolves.toBe(
        undefined,
      )
    })

    it('[SIG-2] topics are kept apart, also when one name is a prefix of another', async () => {
      const [a, b] = (await instances(2)) as [Instance, Instance]
      a.bus.subscribe(topic('p'))
      a.bus.subscribe(topic('p:x'))
      await listenedBy('p', 1)
      await listenedBy('p:x', 1)
      const onLonger = frame('p:x', 'longer')
      const onShorter = frame('p', 'shorter')
      await b.bus.publish(topic('p:x'), onLonger)
      await b.bus.publish(topic('p'), onShorter)
      await vi.waitFor(() => expect(a.heard).toHaveLength(2), WAIT)
      expect(texts(a, 'p:x')).toEqual([onLonger])
      expect(texts(a, 'p')).toEqual([onShorter])
    })
  })
}
