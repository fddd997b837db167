// Where the always-on peers are (rule STORE-12). By default the app's own origin at `/store`
// (`npm start` runs one there). A deployment or a user may list several, and the browser writes
// to all of them and reads from any: `?store=wss://a.example/store,wss://b.example/store` on the
// app URL or the build-time variable VITE_STORE_URLS; `?store=off` uses none.

import { STORE_PATH } from '../protocol/always-on'
import { parseSignalingList } from './signaling-urls'

export function defaultStoreUrl(location: { protocol: string; host: string }): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${location.host}${STORE_PATH}`
}

/** The always-on peers to use; throws a configuration error on anything but ws:// or wss://. */
export function resolveStoreUrls(
  location: { protocol: string; host: string; search: string },
  buildTimeList: string | undefined,
): string[] {
  const configured = new URLSearchParams(location.search).get('store') ?? buildTimeList ?? ''
  if (configured.trim() === 'off') return []
  const urls = parseSignalingList(configured)
  return urls.length > 0 ? urls : [defaultStoreUrl(location)]
}
