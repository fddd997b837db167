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

export interface RunningServer {
  /** The port actually bound (differs from the config when it asked for 0). */
  readonly port: number
  readonly host: string
  /** http://HOST:PORT */
  readonly url: string
  readonly config: ServerConfig
  readonly metrics: Metrics
  /** Live counts, for tests that check that nothing is left behind. */
  stats(): { connections: number; topics: number; addresses: number }
  /** Graceful shutdown: stop accepting, close clients with 1001 going-away, drain, release. */
  close(): Promise<void>
}

export interface ServerDeps {
  /** Defaults to a Redis bus when `config.redisUrl` is set, else a private in-memory bus. */
  readonly bus?: Bus
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
        const busReady = bus.ready()
        return { ready: !stopping && busReady, bus: bus.kind, busReady, stopping }
      },
    }),
  )
  // Slow-header and slow-body clients must not hold sockets for ever.
  server.headersTimeout = 10_000
  server.requestTimeout = 30_000
  server.on('upgrade', (request, socket, head) => hub.handleUpgrade(request, socket, head))
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
    await bus.close()
    throw error
  }
  const port = (server.address() as AddressInfo).port
  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  log.info({ port, host: config.host, bus: bus.kind }, 'listening')

  let closing: Promise<void> | null = null
  return {
    port,
    host: config.host,
    url: `http://${host}:${port}`,
    config,
    metrics,
    stats: () => ({
      connections: hub.connectionCount,
      topics: rooms.size,
      addresses: hub.addressCount,
    }),
    close() {
      closing ??= (async () => {
        stopping = true
        const listening = new Promise<void>((resolve) => server.close(() => resolve()))
        server.closeIdleConnections()
        await hub.shutdown(config.shutdownTimeoutMs)
        await bus.close()
        server.closeAllConnections()
        await listening
        log.info('stopped')
      })()
      return closing
    },
  }
}
