// Server configuration: the options of config-options.ts, read from environment variables and
// command-line flags (flags win), validated all at once so an operator sees every bad value in
// one run (rule SIG-15).
import { readFlags, type FlagValue } from './config-flags'
import {
  DEFAULT_CONFIG,
  OPTIONS,
  type Kind,
  type Option,
  type ServerConfig,
} from './config-options'

export {
  DEFAULT_CONFIG,
  iceServersJson,
  LOG_LEVELS,
  OPTIONS,
  type LogLevel,
  type ServerConfig,
} from './config-options'

export type ConfigResult =
  | { readonly kind: 'config'; readonly config: ServerConfig }
  | { readonly kind: 'help' }
  | { readonly kind: 'errors'; readonly errors: readonly string[] }

/** Reads the configuration from environment variables and flags (`--port 1`, `--port=1`). */
export function readConfig(
  env: Readonly<Record<string, string | undefined>>,
  argv: readonly string[],
): ConfigResult {
  const errors: string[] = []
  const raw = new Map<Option, FlagValue>()
  for (const option of OPTIONS) {
    const value = env[option.env]
    // An empty variable counts as unset, as shells and compose files commonly leave them.
    if (value !== undefined && value !== '') raw.set(option, { value, source: option.env })
  }
  const flags = readFlags(argv, OPTIONS)
  if (flags.kind === 'help') return { kind: 'help' }
  errors.push(...flags.errors)
  for (const [option, flag] of flags.values) raw.set(option, flag)
  const config: Record<string, unknown> = { ...DEFAULT_CONFIG }
  for (const [option, { value, source }] of raw) {
    const parsed = parseValue(option.type, value)
    if ('error' in parsed) errors.push(`${source}=${JSON.stringify(value)}: ${parsed.error}`)
    else config[option.key] = parsed.value
  }
  errors.push(...crossCheck(config as unknown as ServerConfig))
  return errors.length > 0
    ? { kind: 'errors', errors }
    : { kind: 'config', config: config as unknown as ServerConfig }
}

type Parsed = { readonly value: unknown } | { readonly error: string }

function parseValue(type: Kind, value: string): Parsed {
  switch (type.kind) {
    case 'int': {
      if (!/^\d+$/.test(value.trim())) return { error: 'must be a whole number' }
      const n = Number(value.trim())
      if (n < type.min || n > type.max) {
        return { error: `must be between ${type.min} and ${type.max}` }
      }
      return { value: n }
    }
    case 'bool': {
      const v = value.trim().toLowerCase()
      if (['1', 'true', 'yes', 'on'].includes(v)) return { value: true }
      if (['0', 'false', 'no', 'off'].includes(v)) return { value: false }
      return { error: 'must be true or false' }
    }
    case 'enum':
      return type.values.includes(value)
        ? { value }
        : { error: `must be one of ${type.values.join(', ')}` }
    case 'string': {
      const problem = type.check?.(value) ?? null
      return problem === null ? { value } : { error: problem }
    }
  }
}

function crossCheck(config: ServerConfig): string[] {
  const errors: string[] = []
  if (config.maxConnectionsPerIp > config.maxConnections) {
    errors.push(
      `MAX_CONNECTIONS_PER_IP (${config.maxConnectionsPerIp}) must not exceed MAX_CONNECTIONS (${config.maxConnections})`,
    )
  }
  if (config.maxBufferedBytes < config.maxFrameBytes) {
    errors.push(
      `MAX_BUFFERED_BYTES (${config.maxBufferedBytes}) must be at least MAX_FRAME_BYTES (${config.maxFrameBytes}), or no frame could be relayed`,
    )
  }
  if (config.storeMaxEntryBytes > config.storeMaxDocumentBytes) {
    errors.push(
      `STORE_MAX_ENTRY_BYTES (${config.storeMaxEntryBytes}) must not exceed STORE_MAX_DOCUMENT_BYTES (${config.storeMaxDocumentBytes})`,
    )
  }
  return errors
}

/**
 * A full configuration from defaults and overrides, for programmatic use (tests, benchmarks).
 * Throws one error listing every bad value, as `readConfig` reports them.
 */
export function resolveConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  const config: ServerConfig = { ...DEFAULT_CONFIG, ...overrides }
  const errors: string[] = []
  for (const option of OPTIONS) {
    const value = config[option.key]
    if (option.type.kind === 'int') {
      const { min, max } = option.type
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
        errors.push(
          `${option.key}=${String(value)}: must be a whole number between ${min} and ${max}`,
        )
      }
    }
  }
  errors.push(...crossCheck(config))
  if (errors.length > 0) throw new Error(`invalid server configuration:\n  ${errors.join('\n  ')}`)
  return config
}

export function helpText(): string {
  const rows = OPTIONS.map((option) => {
    const fallback = DEFAULT_CONFIG[option.key]
    const shown = fallback === null ? 'unset' : String(fallback)
    return `  ${`${option.flag}${option.type.kind === 'bool' ? '' : ' <value>'}`.padEnd(34)} ${option.env.padEnd(26)} ${option.help} (default: ${shown})`
  })
  return [
    'Meshpad server: serves the built app, the y-webrtc signaling WebSocket at /signal, and an',
    'always-on peer at /store that keeps encrypted documents for editors who are away.',
    '',
    'Usage: tsx server/main.ts [flags]      (flags override environment variables)',
    '',
    `  ${'flag'.padEnd(34)} ${'environment'.padEnd(26)} meaning`,
    ...rows,
    `  ${'--help, -h'.padEnd(34)} ${''.padEnd(26)} print this help and exit`,
    '',
    'Endpoints: /signal and /store (WebSocket), /app-config.json, /healthz, /readyz, /metrics.',
  ].join('\n')
}
