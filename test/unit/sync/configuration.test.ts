import { describe, expect, it } from 'vitest'
import {
  describeConfigurationProblem,
  readConfiguration,
  type BuildSettings,
} from '../../../src/sync/configuration'

const at = (search: string, hash = '') => ({
  protocol: 'http:',
  host: '127.0.0.1:8080',
  search,
  href: `http://127.0.0.1:8080/${search}${hash}`,
})
const noBuild: BuildSettings = { signaling: undefined, store: undefined }

describe('start-up configuration', () => {
  it('[SYNC-3] a usable address gives the server lists and no problem', () => {
    expect(readConfiguration(at(''), noBuild)).toEqual({
      signalingUrls: ['ws://127.0.0.1:8080/signal'],
      storeUrls: ['ws://127.0.0.1:8080/store'],
      problem: null,
    })
    const both = readConfiguration(at('?signaling=wss://a/signal&store=off'), noBuild)
    expect(both).toMatchObject({ signalingUrls: ['wss://a/signal'], storeUrls: [], problem: null })
  })

  it('[SYNC-3] [STATUS-4] a malformed ?signaling= is a problem, never an exception, with the address without it', () => {
    const config = readConfiguration(at('?signaling=http://bad&x=1', '#/d/id/secret'), noBuild)
    expect(config.signalingUrls).toEqual([])
    expect(config.problem).toEqual({
      setting: '?signaling=',
      detail: '"http://bad" must start with ws:// or wss://',
      withoutIt: 'http://127.0.0.1:8080/?x=1#/d/id/secret',
    })
    expect(describeConfigurationProblem(config.problem!)).toMatch(
      /^The \?signaling= setting in this address cannot be used: .* Open Meshpad without it, or correct it/,
    )
  })

  it('[SYNC-3] [STATUS-4] ?store= and the build variables are read the same way', () => {
    expect(readConfiguration(at('?store=ftp://x'), noBuild).problem).toMatchObject({
      setting: '?store=',
      withoutIt: 'http://127.0.0.1:8080/',
    })
    const badBuild = readConfiguration(at(''), { signaling: 'nope', store: undefined })
    expect(badBuild.problem).toMatchObject({ setting: 'VITE_SIGNALING_URLS', withoutIt: null })
    expect(describeConfigurationProblem(badBuild.problem!)).toMatch(/built with an unusable/)
    // The address wins over the build, as for a usable list.
    expect(
      readConfiguration(at('?signaling=ws://a/signal'), { signaling: 'nope', store: undefined })
        .problem,
    ).toBeNull()
  })
})
