// startServer: composes config, logger, metrics, bus, rooms, the signaling hub and the HTTP
// handler into one listening server. main.ts wraps it for the command line; tests and
// benchmarks call it in-process.
import { existsSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import type { Bus } from './bus/bus'
import { MemoryBus } from './bus/memory-bus'
import { RedisBus } from './bus/redis-bus'
import { resolveConfig, type ServerConfig } from './config'
import { createRequestHandler } from './http'
import { createLogger, type Logger } from './log'
import { createMetrics, type Metrics } from './metrics'
import { SignalingHub } from './signaling/hub'
import { Rooms } from './signaling/rooms'
import { AlwaysOnHub } from './always-on/hub'
import { createStoreMetrics } from './always-on/metrics'
import { openEntryStore } from './always-on/open-store'
import type { EntryStore } from './always-on/store'

export interface RunningServer {
  /** The port actually bound (differs from the config when it asked for 0). */
  readonly port: number
  readonly host: string
  /** http://HOST:PORT */
  readonly url: string
  readonly config: ServerConfig
  readonly metrics: Metrics
  /** Live counts, for tests that check that nothing is left behind. */
  stats(): { connections: number; topics: number; addresses: number; storeConnections: number }
  /** The always-on peer's store, or null when it is off (`ALWAYS_ON=false`). */
  readonly store: EntryStore | null
  /** Graceful shutdown: stop accepting, close clients with 1001 going-away, drain, release. */
  close(): Promise<void>
}

export interface ServerDeps {
  /** Defaults to a Redis bus when `config.redisUrl` is set, else a private in-memory bus. */
  readonly bus?: Bus
  /** The bus the always-on peers of several instances relay entries through. */
  readonly storeBus?: Bus
  /** Defaults to PostgreSQL when `config.databaseUrl` is set, else SQLite under `dataDir`. */
  readonly store?: EntryStore
  readonly log?: Logger
}

export async function startServer(
  overrides: Partial<ServerConfig> = {},
  deps: ServerDeps = {},
): Promise<RunningServer> {
  const config = resolveConfig(overrides)
  const log = deps.log ?? createLogger(config.logLevel)
  const metrics = createMetrics()
  const bus =
    deps.bus ??
    (config.redisUrl !== null
      ? new RedisBus({ url: config.redisUrl, prefix: config.redisPrefix, log })
      : new MemoryBus())
  const rooms = new Rooms(bus, metrics)
  await bus.connect({
    message: ({ topic, text }) => rooms.deliverRemote(topic, text),
    error: (op) => metrics.busErrors.inc({ op }),
  })
  const hub = new SignalingHub({ config, rooms, metrics, log })
  const store = config.alwaysOn ? (deps.store ?? (await openEntryStore(config))) : null
  const storeBus = store
    ? (deps.storeBus ??
      (config.redisUrl !== null
        ? new RedisBus({ url: config.redisUrl, prefix: `${config.redisPrefix}store/`, log })
        : new MemoryBus()))
    : null
  let alwaysOn: AlwaysOnHub | null = null
  if (store && storeBus) {
    const hubOfStore = (alwaysOn = new AlwaysOnHub({
      config,
      store,
      bus: storeBus,
      metrics: createStoreMetrics(metrics.registry, store),
      log,
    }))
    await storeBus.connect({
      message: ({ topic, text }) => hubOfStore.deliverRemote(topic, text),
      error: (op) => metrics.busErrors.inc({ op }),
    })
    void hubOfStore.expire()
  }
  metrics.observe(() => ({
    connections: hub.connectionCount,
    topics: rooms.size,
    addresses: hub.addressCount,
  }))

  if (!existsSync(path.join(config.staticDir, 'index.html'))) {
    log.warn(
      { staticDir: config.staticDir },
      'app not built: HTTP requests for it get 503 until `npm run build` writes it',
    )
  }
  let stopping = false
  const server = createServer(
    createRequestHandler({
      staticDir: config.staticDir,
      metrics,
      log,
      readiness: () => {
        const busReady = bus.ready() && (storeBus?.ready() ?? true)
        return { ready: !stopping && busReady, bus: bus.kind, busReady, stopping }
      },
      appConfig: () => ({
        alwaysOn: alwaysOn !== null,
        iceServers:
          config.iceServers.trim() === '' ? null : (JSON.parse(config.iceServers) as unknown),
      }),
    }),
  )
  // Slow-header and slow-body clients must not hold sockets for ever.
  server.headersTimeout = 10_000
  server.requestTimeout = 30_000
  server.on('upgrade', (request, socket, head) => {
    const path = (request.url ?? '').split('?')[0] ?? ''
    if (alwaysOn?.handles(path)) alwaysOn.handleUpgrade(request, socket, head)
    else hub.handleUpgrade(request, socket, head)
  })
  server.on('clientError', (_error, socket) => socket.destroy())

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(config.port, config.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
  } catch (error) {
    await hub.shutdown(0)
    await alwaysOn?.shutdown(0)
    await bus.close()
    await storeBus?.close()
    await store?.close()
    throw error
  }
  const port = (server.address() as AddressInfo).port
  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  log.info({ port, host: config.host, bus: bus.kind, store: store?.kind ?? 'off' }, 'listening')

  let closing: Promise<void> | null = null
  return {
    port,
    host: config.host,
    url: `http://${host}:${port}`,
    config,
    metrics,
    store,
    stats: () => ({
      connections: hub.connectionCount,
      topics: rooms.size,
      addresses: hub.addressCount,
      storeConnections: alwaysOn?.connectionCount ?? 0,
    }),
    close() {
      closing ??= (async () => {
        stopping = true
        const listening = new Promise<void>((resolve) => server.close(() => resolve()))
        server.closeIdleConnections()
        await Promise.all([
          hub.shutdown(config.shutdownTimeoutMs),
          alwaysOn?.shutdown(config.shutdownTimeoutMs),
        ])
        await bus.close()
        await storeBus?.close()
        // Closing the store last: every acknowledged write is already durable, this only
        // releases the file or the pool.
        await store?.close()
        server.closeAllConnections()
        await listening
        log.info('stopped')
      })()
      return closing
    },
  }
}
