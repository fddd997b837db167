// The server's options as one table: each option's key, environment variable, flag, help line
// and value type, with the defaults and the validators of string values. config.ts reads them
// from the environment and flags-parse.ts from the command line.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEFAULT_LIMITS, type SignalingLimits } from '../src/protocol/limits'

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export interface ServerConfig extends SignalingLimits {
  /** TCP port; 0 picks any free port. */
  readonly port: number
  readonly host: string
  /** Directory of the built app (`npm run build` writes it). */
  readonly staticDir: string
  readonly logLevel: LogLevel
  /** Redis URL for the scale-out bus; null selects the in-memory bus. */
  readonly redisUrl: string | null
  /** Prefix of every Redis channel this server uses. */
  readonly redisPrefix: string
  /** Take the client address from the last X-Forwarded-For entry (behind one trusted proxy). */
  readonly trustProxy: boolean
  /** How long a closing connection may take to finish the close handshake before it is cut. */
  readonly closeTimeoutMs: number
  /** How long graceful shutdown waits for clients to close before cutting them. */
  readonly shutdownTimeoutMs: number
  /** Run the always-on peer at /store (rules STORE-*). */
  readonly alwaysOn: boolean
  /** Where the embedded store keeps its file (when no database URL is set). */
  readonly dataDir: string
  /** PostgreSQL URL: instances share one store; null selects the embedded engine. */
  readonly databaseUrl: string | null
  /** Largest entry (one encrypted update or snapshot) an always-on peer accepts. */
  readonly storeMaxEntryBytes: number
  /** Bytes of entries one document may hold. */
  readonly storeMaxDocumentBytes: number
  /** Sustained puts per second per store connection (token bucket refill rate). */
  readonly storeWritesPerSecond: number
  /** Puts a store connection may send in a burst. */
  readonly storeWriteBurst: number
  /** Drop documents nobody wrote for this many days; 0 keeps them for ever. */
  readonly retentionDays: number
  /** ICE servers (JSON array of RTCIceServer) handed to browsers; empty = the app's default. */
  readonly iceServers: string
}

const here = path.dirname(fileURLToPath(import.meta.url))

export const DEFAULT_CONFIG: ServerConfig = {
  ...DEFAULT_LIMITS,
  port: 8080,
  host: '127.0.0.1',
  staticDir: path.resolve(here, '../dist'),
  logLevel: 'info',
  redisUrl: null,
  redisPrefix: 'meshpad:',
  trustProxy: false,
  closeTimeoutMs: 2_000,
  shutdownTimeoutMs: 10_000,
  alwaysOn: true,
  // Read here too so that in-process servers (tests, benchmarks) follow DATA_DIR like main.ts.
  dataDir: path.resolve(process.env['DATA_DIR'] || 'data'),
  databaseUrl: null,
  storeMaxEntryBytes: 16 * 1024 * 1024,
  storeMaxDocumentBytes: 256 * 1024 * 1024,
  storeWritesPerSecond: 50,
  storeWriteBurst: 500,
  retentionDays: 0,
  iceServers: '',
}

export type Kind =
  | { readonly kind: 'int'; readonly min: number; readonly max: number }
  | { readonly kind: 'string'; readonly check?: (value: string) => string | null }
  | { readonly kind: 'bool' }
  | { readonly kind: 'enum'; readonly values: readonly string[] }

export interface Option {
  readonly key: keyof ServerConfig
  readonly env: string
  readonly flag: string
  readonly help: string
  readonly type: Kind
}

const int = (min: number, max: number): Kind => ({ kind: 'int', min, max })
const MiB = 1024 * 1024

export const OPTIONS: readonly Option[] = [
  {
    key: 'port',
    env: 'PORT',
    flag: '--port',
    type: int(0, 65535),
    help: 'TCP port (0 = any free port)',
  },
  {
    key: 'host',
    env: 'HOST',
    flag: '--host',
    type: { kind: 'string', check: nonEmpty },
    help: 'address to listen on',
  },
  {
    key: 'staticDir',
    env: 'STATIC_DIR',
    flag: '--static-dir',
    type: { kind: 'string', check: nonEmpty },
    help: 'directory of the built app',
  },
  {
    key: 'logLevel',
    env: 'LOG_LEVEL',
    flag: '--log-level',
    type: { kind: 'enum', values: LOG_LEVELS },
    help: 'log level',
  },
  {
    key: 'redisUrl',
    env: 'REDIS_URL',
    flag: '--redis-url',
    type: { kind: 'string', check: redisUrl },
    help: 'redis:// or rediss:// URL; enables the Redis bus (default: in-memory bus)',
  },
  {
    key: 'redisPrefix',
    env: 'REDIS_PREFIX',
    flag: '--redis-prefix',
    type: { kind: 'string', check: nonEmpty },
    help: 'prefix of Redis channel names',
  },
  {
    key: 'trustProxy',
    env: 'TRUST_PROXY',
    flag: '--trust-proxy',
    type: { kind: 'bool' },
    help: 'client address from the last X-Forwarded-For entry (only behind a proxy that sets it)',
  },
  {
    key: 'maxFrameBytes',
    env: 'MAX_FRAME_BYTES',
    flag: '--max-frame-bytes',
    type: int(1024, 16 * MiB),
    help: 'largest inbound message in bytes',
  },
  {
    key: 'maxTopicsPerConnection',
    env: 'MAX_TOPICS_PER_CONNECTION',
    flag: '--max-topics-per-connection',
    type: int(1, 100_000),
    help: 'topics one connection may subscribe to',
  },
  {
    key: 'maxTopicLength',
    env: 'MAX_TOPIC_LENGTH',
    flag: '--max-topic-length',
    type: int(1, 65_536),
    help: 'longest topic name in characters',
  },
  {
    key: 'rateLimitPerSecond',
    env: 'RATE_LIMIT_PER_SECOND',
    flag: '--rate-limit-per-second',
    type: int(1, 1_000_000),
    help: 'sustained inbound messages per second per connection',
  },
  {
    key: 'rateLimitBurst',
    env: 'RATE_LIMIT_BURST',
    flag: '--rate-limit-burst',
    type: int(1, 1_000_000),
    help: 'inbound message burst per connection',
  },
  {
    key: 'maxConnectionsPerIp',
    env: 'MAX_CONNECTIONS_PER_IP',
    flag: '--max-connections-per-ip',
    type: int(1, 10_000_000),
    help: 'concurrent connections from one address',
  },
  {
    key: 'maxConnections',
    env: 'MAX_CONNECTIONS',
    flag: '--max-connections',
    type: int(1, 10_000_000),
    help: 'concurrent connections on this instance',
  },
  {
    key: 'idleTimeoutMs',
    env: 'IDLE_TIMEOUT_MS',
    flag: '--idle-timeout-ms',
    type: int(100, 3_600_000),
    help: 'close a connection that has not answered a ping within this time',
  },
  {
    key: 'maxBufferedBytes',
    env: 'MAX_BUFFERED_BYTES',
    flag: '--max-buffered-bytes',
    type: int(1024, 1024 * MiB),
    help: 'bytes queued for a subscriber before it is dropped as slow',
  },
  {
    key: 'closeTimeoutMs',
    env: 'CLOSE_TIMEOUT_MS',
    flag: '--close-timeout-ms',
    type: int(10, 600_000),
    help: 'time a closing connection gets before it is cut',
  },
  {
    key: 'shutdownTimeoutMs',
    env: 'SHUTDOWN_TIMEOUT_MS',
    flag: '--shutdown-timeout-ms',
    type: int(0, 600_000),
    help: 'time graceful shutdown waits for clients',
  },
  {
    key: 'alwaysOn',
    env: 'ALWAYS_ON',
    flag: '--always-on',
    type: { kind: 'bool' },
    help: 'run the always-on peer (/store) that keeps encrypted documents for absent editors',
  },
  {
    key: 'dataDir',
    env: 'DATA_DIR',
    flag: '--data-dir',
    type: { kind: 'string', check: nonEmpty },
    help: 'directory of the embedded store (meshpad.sqlite); unused with DATABASE_URL',
  },
  {
    key: 'databaseUrl',
    env: 'DATABASE_URL',
    flag: '--database-url',
    type: { kind: 'string', check: postgresUrl },
    help: 'postgres:// URL: instances share one store (default: the embedded store)',
  },
  {
    key: 'storeMaxEntryBytes',
    env: 'STORE_MAX_ENTRY_BYTES',
    flag: '--store-max-entry-bytes',
    type: int(4096, 1024 * MiB),
    help: 'largest entry (encrypted update or snapshot) accepted',
  },
  {
    key: 'storeMaxDocumentBytes',
    env: 'STORE_MAX_DOCUMENT_BYTES',
    flag: '--store-max-document-bytes',
    type: int(4096, 64 * 1024 * MiB),
    help: 'bytes one document may hold in the store',
  },
  {
    key: 'storeWritesPerSecond',
    env: 'STORE_WRITES_PER_SECOND',
    flag: '--store-writes-per-second',
    type: int(1, 1_000_000),
    help: 'sustained writes per second per store connection',
  },
  {
    key: 'storeWriteBurst',
    env: 'STORE_WRITE_BURST',
    flag: '--store-write-burst',
    type: int(1, 1_000_000),
    help: 'write burst per store connection',
  },
  {
    key: 'retentionDays',
    env: 'RETENTION_DAYS',
    flag: '--retention-days',
    type: int(0, 100_000),
    help: 'drop documents nobody wrote for this many days (0 = keep for ever)',
  },
  {
    key: 'iceServers',
    env: 'ICE_SERVERS',
    flag: '--ice-servers',
    type: { kind: 'string', check: iceServersJson },
    help: 'JSON array of STUN/TURN servers for browsers, e.g. [{"urls":"stun:stun.example.org"}]',
  },
]

function nonEmpty(value: string): string | null {
  return value.trim() === '' ? 'must not be empty' : null
}

function redisUrl(value: string): string | null {
  try {
    const url = new URL(value)
    return url.protocol === 'redis:' || url.protocol === 'rediss:'
      ? null
      : 'must be a redis:// or rediss:// URL'
  } catch {
    return 'must be a redis:// or rediss:// URL'
  }
}

function postgresUrl(value: string): string | null {
  try {
    const url = new URL(value)
    return url.protocol === 'postgres:' || url.protocol === 'postgresql:'
      ? null
      : 'must be a postgres:// or postgresql:// URL'
  } catch {
    return 'must be a postgres:// or postgresql:// URL'
  }
}

/** The ICE server list as browsers take it: an array of { urls, username?, credential? }. */
export function iceServersJson(value: string): string | null {
  if (value.trim() === '') return null
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    return 'must be a JSON array of {"urls": ...} objects'
  }
  if (!Array.isArray(parsed)) return 'must be a JSON array of {"urls": ...} objects'
  for (const server of parsed as unknown[]) {
    if (typeof server !== 'object' || server === null) return 'every entry must be an object'
    const { urls, username, credential } = server as Record<string, unknown>
    const list = Array.isArray(urls) ? (urls as unknown[]) : [urls]
    if (
      list.length === 0 ||
      !list.every((url) => typeof url === 'string' && /^(stun|stuns|turn|turns):/.test(url))
    ) {
      return 'every entry needs "urls": stun:, stuns:, turn: or turns: URLs'
    }
    if (username !== undefined && typeof username !== 'string') return '"username" must be a string'
    if (credential !== undefined && typeof credential !== 'string')
      return '"credential" must be a string'
  }
  return null
}
