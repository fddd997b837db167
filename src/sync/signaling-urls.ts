// Where the signaling servers are (rule SYNC-3). By default the app's own origin at `/signal`
// (`npm start` serves both). A deployment or a user may list several servers, used one at a time
// with failover (signaling-failover.ts, rule SYNC-4):
// `?signaling=wss://a.example/signal,wss://b.example/signal` on the app URL, or the build-time
// variable VITE_SIGNALING_URLS (same comma-separated form).

export class SignalingConfigError extends Error {
  override name = 'SignalingConfigError'
}

export function defaultSignalingUrl(location: { protocol: string; host: string }): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${location.host}/signal`
}

/** Parses a comma-separated list of ws:// or wss:// URLs; throws on anything else. */
export function parseSignalingList(list: string): string[] {
  const urls = list
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
  for (const item of urls) {
    let url: URL
    try {
      url = new URL(item)
    } catch {
      throw new SignalingConfigError(`"${item}" is not a URL; expected ws://host/signal or wss://…`)
    }
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
      throw new SignalingConfigError(`"${item}" must start with ws:// or wss://`)
    }
  }
  return [...new Set(urls)]
}

export function resolveSignalingUrls(
  location: { protocol: string; host: string; search: string },
  buildTimeList: string | undefined,
): string[] {
  const fromQuery = new URLSearchParams(location.search).get('signaling')
  const configured = fromQuery ?? buildTimeList ?? ''
  const urls = parseSignalingList(configured)
  return urls.length > 0 ? urls : [defaultSignalingUrl(location)]
}
