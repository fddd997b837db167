import type { IceServer } from './webrtc'

// What the server tells the app at start (`/app-config.json`, rule STORE-11): the STUN/TURN
// servers the operator chose. The answer is remembered in this browser, so the app opens offline
// with the last known settings; a missing, slow or malformed answer never blocks a document.

export interface AppConfig {
  readonly iceServers: readonly IceServer[] | null
}

const STORAGE_KEY = 'meshpad:app-config'
const FETCH_TIMEOUT_MS = 1_500

export function parseAppConfig(value: unknown): AppConfig | null {
  if (typeof value !== 'object' || value === null) return null
  const raw = (value as { iceServers?: unknown }).iceServers
  if (raw === null || raw === undefined) return { iceServers: null }
  if (!Array.isArray(raw)) return null
  const servers: IceServer[] = []
  for (const item of raw as unknown[]) {
    if (typeof item !== 'object' || item === null) return null
    const { urls, username, credential } = item as Record<string, unknown>
    const list = Array.isArray(urls) ? (urls as unknown[]) : [urls]
    if (list.length === 0 || !list.every((url) => typeof url === 'string')) return null
    if (username !== undefined && typeof username !== 'string') return null
    if (credential !== undefined && typeof credential !== 'string') return null
    servers.push({
      urls: list,
      ...(typeof username === 'string' ? { username } : {}),
      ...(typeof credential === 'string' ? { credential } : {}),
    })
  }
  return { iceServers: servers }
}

/** The configuration this browser last received, or null on a first visit. */
export function rememberedAppConfig(storage: Storage): AppConfig | null {
  try {
    return parseAppConfig(JSON.parse(storage.getItem(STORAGE_KEY) ?? 'null'))
  } catch {
    return null
  }
}

/** Asks the server, remembers the answer; falls back to what was remembered, then to defaults. */
export async function loadAppConfig(
  storage: Storage,
  fetchImpl: typeof fetch = fetch,
): Promise<AppConfig> {
  const remembered = (): AppConfig => rememberedAppConfig(storage) ?? { iceServers: null }
  try {
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS)
    const response = await fetchImpl('/app-config.json', {
      signal: controller.signal,
      cache: 'no-cache',
    })
    clearTimeout(timer)
    if (!response.ok) return remembered()
    const parsed = parseAppConfig(await response.json())
    if (parsed === null) return remembered()
    storage.setItem(STORAGE_KEY, JSON.stringify(parsed))
    return parsed
  } catch {
    return remembered()
  }
}
