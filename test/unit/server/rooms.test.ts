import { describe, expect, it } from 'vitest'
import type { Topic } from '../../../src/protocol/signaling'
import type { BusMessage } from '../../../server/bus/bus'
import { MemoryBroker, MemoryBus } from '../../../server/bus/memory-bus'
import { createMetrics } from '../../../server/metrics'
import type { TextFrame } from '../../../server/signaling/frame'
import { Rooms } from '../../../server/signaling/rooms'

const topic = (name: string): Topic => name as Topic
const publish = (name: string, n: number): string =>
  JSON.stringify({ type: 'publish', topic: name, n })

async function instance(broker: MemoryBroker) {
  const bus = new MemoryBus(broker)
  const heard: BusMessage[] = []
  const rooms = new Rooms(bus, createMetrics())
  await bus.connect({
    message: (message) => {
      heard.push(message)
      rooms.deliverRemote(message.topic, message.text)
    },
    error: () => {},
  })
  return { bus, rooms, heard }
}

function client() {
  const got: unknown[] = []
  return {
    got,
    deliver: (frame: TextFrame) => got.push(JSON.parse(frame.payload.toString('utf8'))) > 0,
  }
}

// Rooms over the memory bus: what the rooms add to the bus (reference counting, local delivery
// with `clients`, metrics). The bus itself is held to its contract in memory-bus.test.ts.
describe('rooms over the bus', () => {
  it('[SIG-2] delivers a publish exactly once to every subscriber on every instance', async () => {
    const broker = new MemoryBroker()
    const a = await instance(broker)
    const b = await instance(broker)
    const [a1, a2, b1] = [client(), client(), client()]
    a.rooms.subscribe(a1, topic('t'))
    a.rooms.subscribe(a2, topic('t'))
    b.rooms.subscribe(b1, topic('t'))
    a.rooms.publish(topic('t'), publish('t', 1))
    expect(a1.got).toEqual([{ type: 'publish', topic: 't', n: 1, clients: 2 }])
    expect(a2.got).toEqual([{ type: 'publish', topic: 't', n: 1, clients: 2 }])
    expect(b1.got).toEqual([{ type: 'publish', topic: 't', n: 1, clients: 1 }])
    // The publishing instance never hears its own publish back through the bus.
    expect(a.heard).toEqual([])
    expect(b.heard).toHaveLength(1)
  })

  it('[SIG-2] never delivers to a topic the subscriber is not in', async () => {
    const broker = new MemoryBroker()
    const a = await instance(broker)
    const b = await instance(broker)
    const [inT, inU] = [client(), client()]
    a.rooms.subscribe(inT, topic('t'))
    b.rooms.subscribe(inU, topic('u'))
    b.rooms.publish(topic('t'), publish('t', 1))
    a.rooms.publish(topic('u'), publish('u', 2))
    expect(inT.got).toEqual([{ type: 'publish', topic: 't', n: 1, clients: 1 }])
    expect(inU.got).toEqual([{ type: 'publish', topic: 'u', n: 2, clients: 1 }])
  })

  it('[SIG-17] an instance listens to a topic only while it has a local subscriber', async () => {
    const broker = new MemoryBroker()
    const a = await instance(broker)
    const b = await instance(broker)
    const [x, y] = [client(), client()]
    expect(broker.subscriptionCount()).toBe(0)
    a.rooms.subscribe(x, topic('t'))
    a.rooms.subscribe(y, topic('t'))
    a.rooms.subscribe(x, topic('t')) // idempotent
    expect(broker.subscriptionCount()).toBe(1)
    a.rooms.unsubscribe(x, topic('t'))
    expect(broker.subscriptionCount()).toBe(1)
    a.rooms.unsubscribe(y, topic('t'))
    a.rooms.unsubscribe(y, topic('t')) // a second leave is harmless
    expect(broker.subscriptionCount()).toBe(0)
    expect(a.rooms.size).toBe(0)
    b.rooms.publish(topic('t'), publish('t', 1))
    expect(x.got).toEqual([])
    expect(a.heard).toEqual([])
  })

  it('[SIG-14] counts bus traffic and publish latency', async () => {
    const broker = new MemoryBroker()
    const a = await instance(broker)
    const metrics = createMetrics()
    const bus = new MemoryBus(broker)
    const rooms = new Rooms(bus, metrics)
    await bus.connect({ message: (m) => rooms.deliverRemote(m.topic, m.text), error: () => {} })
    rooms.subscribe(client(), topic('t'))
    a.rooms.publish(topic('t'), publish('t', 1))
    rooms.publish(topic('t'), publish('t', 2))
    await Promise.resolve()
    const text = await metrics.registry.metrics()
    expect(text).toMatch(/^meshpad_bus_messages_in_total 1$/m)
    expect(text).toMatch(/^meshpad_bus_publish_seconds_count 1$/m)
  })
})
