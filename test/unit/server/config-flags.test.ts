import { describe, expect, it } from 'vitest'
import { readConfig } from '../../../server/config'

// The command line as util.parseArgs reads it for the server (server/config-flags.ts): every
// form an operator may write, and one message per bad argument, all in one run.

const errorsOf = (argv: string[]): readonly string[] => {
  const result = readConfig({}, argv)
  if (result.kind !== 'errors') throw new Error(`expected errors, got ${JSON.stringify(result)}`)
  return result.errors
}
const configOf = (argv: string[]) => {
  const result = readConfig({}, argv)
  if (result.kind !== 'config') throw new Error(`expected a config, got ${JSON.stringify(result)}`)
  return result.config
}

describe('server flags', () => {
  it('[SIG-15] a value follows its flag or an equals sign; an empty value after = is a value', () => {
    expect(configOf(['--port', '9001', '--host=0.0.0.0'])).toMatchObject({
      port: 9001,
      host: '0.0.0.0',
    })
    // A value that starts with a dash is still the value, as before parseArgs.
    expect(errorsOf(['--port', '--host'])).toEqual(['--port="--host": must be a whole number'])
    expect(errorsOf(['--host='])).toEqual(['--host="": must not be empty'])
    // The last of a repeated flag wins.
    expect(configOf(['--port=1', '--port=2']).port).toBe(2)
  })

  it('[SIG-15] a switch alone is true; with =value it takes true or false and nothing else', () => {
    expect(configOf(['--trust-proxy']).trustProxy).toBe(true)
    expect(configOf(['--always-on=false']).alwaysOn).toBe(false)
    expect(configOf(['--always-on=off', '--trust-proxy=yes'])).toMatchObject({
      alwaysOn: false,
      trustProxy: true,
    })
    expect(errorsOf(['--trust-proxy=maybe'])).toEqual([
      '--trust-proxy="maybe": must be true or false',
    ])
    // A switch never swallows the next word: `false` here is a stray argument.
    expect(errorsOf(['--always-on', 'false'])).toEqual(['unknown argument "false" (see --help)'])
  })

  it('[SIG-15] unknown flags, short flags, stray words and a missing value are each reported', () => {
    expect(errorsOf(['--bogus=3', '-x', 'stray', '--max-frame-bytes'])).toEqual([
      'unknown argument "--bogus=3" (see --help)',
      'unknown argument "-x" (see --help)',
      'unknown argument "stray" (see --help)',
      '--max-frame-bytes needs a value',
    ])
    // `--` ends nothing here: the server takes no positional arguments.
    expect(errorsOf(['--', '--port'])).toEqual([
      'unknown argument "--" (see --help)',
      'unknown argument "--port" (see --help)',
    ])
    // Flags are the long names only, never the variable names or other spellings.
    expect(errorsOf(['--PORT=1', '--redis_url=redis://x'])).toHaveLength(2)
  })

  it('[SIG-15] --help or -h wins over every error, wherever it stands', () => {
    expect(readConfig({}, ['--bogus', '--port', 'x', '-h'])).toEqual({ kind: 'help' })
    expect(readConfig({ PORT: 'bad' }, ['--help'])).toEqual({ kind: 'help' })
    // Unless it is some flag's value.
    expect(errorsOf(['--host', '--help', '--port=x'])).toEqual([
      '--port="x": must be a whole number',
    ])
  })
})
