import { accessSync, constants } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

// The system Chromium (Debian's `chromium` package), found in the same order as
// scripts/ensure-system-deps.mjs, which installs it when missing.
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

export function findChromium(): string {
  const fromEnv = process.env.CHROMIUM_PATH
  if (fromEnv !== undefined && fromEnv !== '') {
    if (isExecutable(fromEnv)) return fromEnv
    throw new Error(`CHROMIUM_PATH=${fromEnv} is not an executable file`)
  }
  const found = CANDIDATES.find(isExecutable)
  if (found === undefined) {
    throw new Error(
      `no Chromium found at ${CANDIDATES.join(', ')}; run \`node scripts/ensure-system-deps.mjs\` ` +
        'or set CHROMIUM_PATH',
    )
  }
  return found
}

// Flags from docs/ARCHITECTURE.md (known traps). What two contexts of one browser need for
// WebRTC on this host was measured (two contexts, a data channel, candidates exchanged by hand):
// - nothing more. Host candidates are mDNS-obfuscated (`<uuid>.local`), but both contexts share
//   one browser's network service, which resolves those names; the pair is host -> host and
//   opens in 0.1-0.6 s. `--disable-features=WebRtcHideLocalIpsWithMdns` shows raw IPs and opens
//   in ~0.1 s, but is deliberately NOT passed: Chromium honours only the last
//   `--disable-features`, so it would silently drop Playwright's own list of disabled features.
// - `--use-fake-ui-for-media-stream` is for getUserMedia; data channels never ask.
// - Chromium never gathers loopback candidates (not even with --allow-loopback-in-peer-connection):
//   on a host whose only interface is `lo` no candidate exists and peers never connect. The
//   global setup warns about that case.
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: findChromium(), args: [...CHROMIUM_ARGS] })
}
