import { resolveSignalingUrls, SignalingConfigError } from './signaling-urls'
import { resolveStoreUrls } from './store-urls'

// The app's start-up configuration, read once from the address and the build (rule SYNC-3 for
// signaling, STORE-12 for always-on peers). Reading it never throws for a configuration error:
// an address anyone can edit, or a build variable, must not leave a blank page. Such an error
// comes back as a problem the app shows in its one place for problems, saying which setting is
// wrong and how to leave it out; nothing opens until it is fixed.

export interface ConfigurationProblem {
  /** Which setting is wrong, as the user or the operator wrote it. */
  readonly setting: '?signaling=' | '?store=' | 'VITE_SIGNALING_URLS' | 'VITE_STORE_URLS'
  /** What is wrong with it, from the parser. */
  readonly detail: string
  /** The same address without the bad URL parameter, or null when the build is at fault. */
  readonly withoutIt: string | null
}

export interface Configuration {
  readonly signalingUrls: readonly string[]
  readonly storeUrls: readonly string[]
  /** Set when a setting is unusable; the URL lists are then empty and must not be used. */
  readonly problem: ConfigurationProblem | null
}

export interface BuildSettings {
  readonly signaling: string | undefined
  readonly store: string | undefined
}

type Where = { protocol: string; host: string; search: string; href: string }

export function readConfiguration(location: Where, build: BuildSettings): Configuration {
  const params = new URLSearchParams(location.search)
  const settings = [
    {
      param: 'signaling',
      variable: 'VITE_SIGNALING_URLS',
      resolve: () => resolveSignalingUrls(location, build.signaling),
    },
    {
      param: 'store',
      variable: 'VITE_STORE_URLS',
      resolve: () => resolveStoreUrls(location, build.store),
    },
  ] as const
  const resolved: string[][] = []
  for (const setting of settings) {
    try {
      resolved.push(setting.resolve())
    } catch (error) {
      if (!(error instanceof SignalingConfigError)) throw error
      const fromAddress = params.has(setting.param)
      return {
        signalingUrls: [],
        storeUrls: [],
        problem: {
          setting: fromAddress ? `?${setting.param}=` : setting.variable,
          detail: error.message,
          withoutIt: fromAddress ? withoutParam(location.href, setting.param) : null,
        },
      }
    }
  }
  const [signalingUrls = [], storeUrls = []] = resolved
  return { signalingUrls, storeUrls, problem: null }
}

/** What the user reads in the problem place. */
export function describeConfigurationProblem(problem: ConfigurationProblem): string {
  const what =
    problem.withoutIt !== null
      ? `The ${problem.setting} setting in this address cannot be used`
      : `This copy of Meshpad was built with an unusable ${problem.setting}`
  const fix =
    problem.withoutIt !== null
      ? 'Open Meshpad without it, or correct it: a comma-separated list of servers, each ws://host/path or wss://host/path.'
      : 'Whoever deployed it needs to correct that setting and build again.'
  return `${what}: ${problem.detail}. ${fix}`
}

function withoutParam(href: string, param: string): string {
  const url = new URL(href)
  url.searchParams.delete(param)
  return url.toString()
}
