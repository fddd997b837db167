import { describe, expect, it } from 'vitest'
import { loadAppConfig, parseAppConfig } from '../../../src/sync/app-config'
import { resolveStoreUrls } from '../../../src/sync/store-urls'

class MemoryStorage {
  private readonly items = new Map<string, string>()
  getItem(key: string): string | null {
    return this.items.get(key) ?? null
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value)
  }
}

const page = { protocol: 'https:', host: 'pad.example', search: '' }

describe('app configuration', () => {
  it('[STORE-12] the always-on peer is /store on the app origin unless a list or off is given', () => {
    expect(resolveStoreUrls(page, undefined)).toEqual(['wss://pad.example/store'])
    expect(resolveStoreUrls({ ...page, protocol: 'http:' }, '')).toEqual(['ws://pad.example/store'])
    expect(
      resolveStoreUrls({ ...page, search: '?store=wss://a/store,wss://b/store' }, undefined),
    ).toEqual(['wss://a/store', 'wss://b/store'])
    expect(resolveStoreUrls({ ...page, search: '?store=off' }, 'wss://x/store')).toEqual([])
    expect(resolveStoreUrls(page, 'wss://build/store')).toEqual(['wss://build/store'])
    expect(() => resolveStoreUrls({ ...page, search: '?store=http://a' }, undefined)).toThrow()
  })

  it('[STORE-11] ICE servers from the server are parsed, and anything malformed is refused', () => {
    expect(parseAppConfig({ iceServers: null })).toEqual({ iceServers: null })
    expect(
      parseAppConfig({ iceServers: [{ urls: 'turn:t.example', username: 'u', credential: 'c' }] }),
    ).toEqual({ iceServers: [{ urls: ['turn:t.example'], username: 'u', credential: 'c' }] })
    expect(parseAppConfig({ iceServers: [{ urls: 5 }] })).toBeNull()
    expect(parseAppConfig({ iceServers: 'stun:x' })).toBeNull()
    expect(parseAppConfig(null)).toBeNull()
  })

  it('[STORE-11] the last answer is remembered and used when the server cannot be asked', async () => {
    const storage = new MemoryStorage() as unknown as Storage
    const answer = { alwaysOn: true, iceServers: [{ urls: 'stun:s.example' }] }
    const online = (() =>
      Promise.resolve(new Response(JSON.stringify(answer)))) as unknown as typeof fetch
    const offline = (() => Promise.reject(new TypeError('offline'))) as unknown as typeof fetch
    const garbage = (() => Promise.resolve(new Response('<html>'))) as unknown as typeof fetch
    expect(await loadAppConfig(storage, offline)).toEqual({ iceServers: null })
    expect(await loadAppConfig(storage, online)).toEqual({
      iceServers: [{ urls: ['stun:s.example'] }],
    })
    expect(await loadAppConfig(storage, offline)).toEqual({
      iceServers: [{ urls: ['stun:s.example'] }],
    })
    expect(await loadAppConfig(storage, garbage)).toEqual({
      iceServers: [{ urls: ['stun:s.example'] }],
    })
  })
})
