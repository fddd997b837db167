import { describe, expect, it } from 'vitest'
import { helpText, readConfig } from '../../../server/config'

// The always-on peer's options (STORE-7, STORE-9, STORE-11): validated with the rest, each bad
// value named, every option in --help.

describe('always-on configuration', () => {
  it('[STORE-7][STORE-9] defaults are safe: on, embedded store, bounded, keep for ever', () => {
    const result = readConfig({}, [])
    expect(result.kind).toBe('config')
    if (result.kind !== 'config') return
    expect(result.config.alwaysOn).toBe(true)
    expect(result.config.databaseUrl).toBeNull()
    expect(result.config.storeMaxEntryBytes).toBe(16 * 1024 * 1024)
    expect(result.config.storeMaxDocumentBytes).toBeGreaterThan(result.config.storeMaxEntryBytes)
    expect(result.config.retentionDays).toBe(0)
    expect(result.config.iceServers).toBe('')
  })

  it('[STORE-11] environment and flags set every option; flags win', () => {
    const result = readConfig(
      {
        DATA_DIR: '/var/lib/meshpad',
        DATABASE_URL: 'postgres://meshpad@db/meshpad',
        RETENTION_DAYS: '90',
        ICE_SERVERS: '[{"urls":"turn:turn.example.org:3478","username":"u","credential":"p"}]',
      },
      ['--always-on=false', '--store-max-entry-bytes', '8192', '--store-writes-per-second=5'],
    )
    expect(result.kind).toBe('config')
    if (result.kind !== 'config') return
    expect(result.config).toMatchObject({
      alwaysOn: false,
      dataDir: '/var/lib/meshpad',
      databaseUrl: 'postgres://meshpad@db/meshpad',
      retentionDays: 90,
      storeMaxEntryBytes: 8192,
      storeWritesPerSecond: 5,
    })
  })

  it('[STORE-11] bad values are each named: URL scheme, ICE JSON, limits that contradict', () => {
    const result = readConfig(
      {
        DATABASE_URL: 'mysql://x',
        ICE_SERVERS: '{"urls":"stun:x"}',
        STORE_MAX_ENTRY_BYTES: '1000000',
        STORE_MAX_DOCUMENT_BYTES: '500000',
        RETENTION_DAYS: '-1',
      },
      [],
    )
    expect(result.kind).toBe('errors')
    if (result.kind !== 'errors') return
    const text = result.errors.join('\n')
    expect(text).toContain('DATABASE_URL')
    expect(text).toContain('ICE_SERVERS')
    expect(text).toContain('RETENTION_DAYS')
    expect(text).toContain('STORE_MAX_ENTRY_BYTES (1000000) must not exceed')
    const ice = readConfig({ ICE_SERVERS: '[{"urls":"http://x"}]' }, [])
    expect(ice.kind).toBe('errors')
  })

  it('[STORE-11] --help lists every always-on option', () => {
    const help = helpText()
    for (const name of [
      'ALWAYS_ON',
      'DATA_DIR',
      'DATABASE_URL',
      'STORE_MAX_ENTRY_BYTES',
      'STORE_MAX_DOCUMENT_BYTES',
      'STORE_WRITES_PER_SECOND',
      'STORE_WRITE_BURST',
      'RETENTION_DAYS',
      'ICE_SERVERS',
    ]) {
      expect(help).toContain(name)
    }
  })
})
