import { describe, expect, it } from 'vitest'
import {
  parseSignalingList,
  resolveSignalingUrls,
  SignalingConfigError,
} from '../../../src/sync/signaling-urls'

const here = { protocol: 'http:', host: '127.0.0.1:8080', search: '' }

describe('signaling configuration', () => {
  it('[SYNC-3] defaults to /signal on the app’s own origin, wss under https', () => {
    expect(resolveSignalingUrls(here, undefined)).toEqual(['ws://127.0.0.1:8080/signal'])
    expect(resolveSignalingUrls({ ...here, protocol: 'https:', host: 'pad.example' }, '')).toEqual([
      'wss://pad.example/signal',
    ])
  })

  it('[SYNC-3] a list from the URL wins over the build-time list; duplicates are removed', () => {
    const search = '?signaling=ws://a:1/signal, wss://b/signal,ws://a:1/signal'
    expect(resolveSignalingUrls({ ...here, search }, 'ws://c/signal')).toEqual([
      'ws://a:1/signal',
      'wss://b/signal',
    ])
    expect(resolveSignalingUrls(here, 'ws://c/signal,ws://d/signal')).toEqual([
      'ws://c/signal',
      'ws://d/signal',
    ])
  })

  it('[SYNC-3] anything but ws:// or wss:// is a configuration error with a clear message', () => {
    expect(() => parseSignalingList('http://a/signal')).toThrow(SignalingConfigError)
    expect(() => parseSignalingList('not a url')).toThrow(/not a URL/)
  })
})
