import { describe, expect, it } from 'vitest'
import { DEFAULT_LIMITS } from '../../../src/protocol/limits'
import {
  DEFAULT_CONFIG,
  helpText,
  OPTIONS,
  readConfig,
  resolveConfig,
} from '../../../server/config'

const errorsOf = (env: Record<string, string>, argv: string[] = []): readonly string[] => {
  const result = readConfig(env, argv)
  if (result.kind !== 'errors') throw new Error(`expected errors, got ${result.kind}`)
  return result.errors
}
const configOf = (env: Record<string, string>, argv: string[] = []) => {
  const result = readConfig(env, argv)
  if (result.kind !== 'config') throw new Error(`expected a config, got ${JSON.stringify(result)}`)
  return result.config
}

describe('configuration', () => {
  it('[SIG-15] defaults: port 8080 on 127.0.0.1, memory bus, the documented limits', () => {
    const config = configOf({})
    expect(config).toEqual(DEFAULT_CONFIG)
    expect(config).toMatchObject({ port: 8080, host: '127.0.0.1', redisUrl: null })
    expect(config).toMatchObject(DEFAULT_LIMITS)
  })

  it('[SIG-15] reads environment variables, and flags override them', () => {
    const env = { PORT: '9000', HOST: '0.0.0.0', MAX_FRAME_BYTES: '2048', TRUST_PROXY: 'yes' }
    expect(configOf(env)).toMatchObject({ port: 9000, host: '0.0.0.0', maxFrameBytes: 2048 })
    expect(configOf(env).trustProxy).toBe(true)
    const flagged = configOf(env, [
      '--port',
      '0',
      '--max-frame-bytes=4096',
      '--redis-url',
      'redis://r:6379/0',
    ])
    expect(flagged).toMatchObject({ port: 0, maxFrameBytes: 4096, redisUrl: 'redis://r:6379/0' })
    expect(configOf({}, ['--trust-proxy']).trustProxy).toBe(true)
    // An empty variable is unset, as compose files leave them.
    expect(configOf({ PORT: '' }).port).toBe(8080)
  })

  it('[SIG-15] reports every bad value at once, each naming its source and what is allowed', () => {
    const errors = errorsOf(
      { PORT: '70000', MAX_FRAME_BYTES: 'big', LOG_LEVEL: 'loud', REDIS_URL: 'http://x' },
      ['--rate-limit-burst', '0', '--bogus'],
    )
    expect(errors).toHaveLength(6)
    expect(errors).toContain('PORT="70000": must be between 0 and 65535')
    expect(errors).toContain('MAX_FRAME_BYTES="big": must be a whole number')
    expect(errors.find((e) => e.startsWith('LOG_LEVEL'))).toMatch(/must be one of fatal, error/)
    expect(errors).toContain('REDIS_URL="http://x": must be a redis:// or rediss:// URL')
    expect(errors).toContain('--rate-limit-burst="0": must be between 1 and 1000000')
    expect(errors).toContain('unknown argument "--bogus" (see --help)')
  })

  it('[SIG-15] rejects inconsistent limits and a flag without its value', () => {
    expect(errorsOf({ MAX_CONNECTIONS: '10', MAX_CONNECTIONS_PER_IP: '20' })[0]).toMatch(
      /MAX_CONNECTIONS_PER_IP \(20\) must not exceed MAX_CONNECTIONS \(10\)/,
    )
    expect(errorsOf({ MAX_FRAME_BYTES: '65536', MAX_BUFFERED_BYTES: '4096' })[0]).toMatch(
      /MAX_BUFFERED_BYTES .* at least MAX_FRAME_BYTES/,
    )
    expect(errorsOf({}, ['--port'])).toEqual(['--port needs a value'])
    expect(errorsOf({ TRUST_PROXY: 'maybe' })[0]).toMatch(/must be true or false/)
    expect(errorsOf({ PORT: '-1' })[0]).toMatch(/whole number/)
    expect(errorsOf({ PORT: '1.5' })[0]).toMatch(/whole number/)
  })

  it('[SIG-15] --help lists every option with its flag and variable', () => {
    expect(readConfig({ PORT: 'bad' }, ['--help'])).toEqual({ kind: 'help' })
    expect(readConfig({}, ['-h'])).toEqual({ kind: 'help' })
    const help = helpText()
    for (const option of OPTIONS) {
      expect(help).toContain(option.flag)
      expect(help).toContain(option.env)
    }
  })

  it('[SIG-15] resolveConfig fills defaults for programmatic use and throws on bad values', () => {
    expect(resolveConfig({ port: 0 })).toEqual({ ...DEFAULT_CONFIG, port: 0 })
    expect(() => resolveConfig({ port: -5, maxFrameBytes: 1.5 })).toThrow(
      /port=-5: .*\n.*maxFrameBytes=1.5/,
    )
  })
})
