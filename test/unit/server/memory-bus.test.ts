import { MemoryBroker, MemoryBus } from '../../../server/bus/memory-bus'
import { runBusContract } from '../../contracts/bus.contract'

// The memory bus (one process, instances sharing a broker) held to the bus contract; the Redis
// bus runs the same suite in test/integration/signaling-redis-bus.test.ts.
runBusContract('memory', () => {
  const broker = new MemoryBroker()
  return Promise.resolve({
    newBus: () => new MemoryBus(broker),
    listeners: (topic) => Promise.resolve(broker.subscriptionCount(topic)),
  })
})
