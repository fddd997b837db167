// HTTP side of the server: the built app from the static directory, /healthz, /readyz and
// /metrics. Static files resolve strictly inside the directory; paths without an extension fall
// back to index.html (the app routes in the URL fragment, but a reload of a deep path must work).
// A missing build is answered with 503 and says what to run; it never stops the process.
import { createReadStream, type Stats } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import path from 'node:path'
import { acceptsGzip, gzipped, isCompressible } from './compress'
import type { Logger } from './log'
import type { Metrics } from './metrics'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.webmanifest': 'application/manifest+json',
}

export const NOT_BUILT_MESSAGE =
  'Meshpad app is not built: run `npm run build` (or `npm start`, which builds first).\n'

export interface HttpDeps {
  readonly staticDir: string
  readonly metrics: Metrics
  readonly log: Logger
  /** Ready to take traffic: not shutting down and the bus reaches the other instances. */
  readiness(): { ready: boolean; bus: string; busReady: boolean; stopping: boolean }
  /** What the app reads at start (`/app-config.json`): ICE servers, whether /store runs. */
  appConfig(): Record<string, unknown>
}

export function createRequestHandler(deps: HttpDeps) {
  const root = path.resolve(deps.staticDir)
  return (request: IncomingMessage, response: ServerResponse): void => {
    handle(deps, root, request, response).catch((error: unknown) => {
      deps.log.error({ err: error, path: request.url }, 'http handler failed')
      if (!response.headersSent) text(response, 500, 'internal error\n')
      else response.destroy()
    })
  }
}

async function handle(
  deps: HttpDeps,
  root: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost')
  response.setHeader('X-Content-Type-Options', 'nosniff')
  switch (url.pathname) {
    case '/healthz':
      return text(response, 200, 'ok\n')
    case '/readyz': {
      const state = deps.readiness()
      response.setHeader('Cache-Control', 'no-store')
      return text(
        response,
        state.ready ? 200 : 503,
        `${JSON.stringify(state)}\n`,
        'application/json',
      )
    }
    case '/app-config.json':
      response.setHeader('Cache-Control', 'no-cache')
      return text(response, 200, `${JSON.stringify(deps.appConfig())}\n`, 'application/json')
    case '/metrics': {
      const body = await deps.metrics.registry.metrics()
      response.setHeader('Cache-Control', 'no-store')
      return text(response, 200, body, deps.metrics.registry.contentType)
    }
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD')
    return text(response, 405, 'method not allowed\n')
  }
  const index = path.join(root, 'index.html')
  if ((await statFile(index)) === null) {
    return text(response, 503, NOT_BUILT_MESSAGE)
  }
  let relative: string
  try {
    relative = decodeURIComponent(url.pathname)
  } catch {
    return text(response, 400, 'bad path\n')
  }
  const file = path.resolve(root, `.${path.posix.normalize(relative)}`)
  if (file !== root && !file.startsWith(root + path.sep)) return text(response, 404, 'not found\n')
  const stats = await statFile(file)
  if (stats !== null) return sendFile(request, response, root, file, stats)
  if (path.extname(file) === '') {
    const indexStats = await statFile(index)
    if (indexStats !== null) return sendFile(request, response, root, index, indexStats)
  }
  return text(response, 404, 'not found\n')
}

async function statFile(file: string): Promise<Stats | null> {
  try {
    const stats = await stat(file)
    return stats.isFile() ? stats : null
  } catch {
    return null
  }
}

async function sendFile(
  request: IncomingMessage,
  response: ServerResponse,
  root: string,
  file: string,
  stats: Stats,
): Promise<void> {
  const type = TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream'
  // Vite fingerprints everything under assets/; index.html must always be revalidated.
  // Judged on the path inside dist/: where dist/ itself is deployed must not matter.
  const immutable = path.relative(root, file).startsWith(`assets${path.sep}`)
  const headers = {
    'Content-Type': type,
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  }
  if (isCompressible(file, stats)) {
    const vary = { ...headers, Vary: 'Accept-Encoding' }
    if (acceptsGzip(request.headers['accept-encoding'])) {
      let body: Buffer
      try {
        body = await gzipped(file, stats)
      } catch {
        response.destroy()
        return
      }
      response.writeHead(200, {
        ...vary,
        'Content-Encoding': 'gzip',
        'Content-Length': body.byteLength,
      })
      response.end(request.method === 'HEAD' ? undefined : body)
      return
    }
    Object.assign(headers, vary)
  }
  response.writeHead(200, { ...headers, 'Content-Length': stats.size })
  if (request.method === 'HEAD') {
    response.end()
    return
  }
  const stream = createReadStream(file)
  stream.on('error', () => response.destroy())
  stream.pipe(response)
}

function text(
  response: ServerResponse,
  status: number,
  body: string,
  type = 'text/plain; charset=utf-8',
): void {
  response.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) })
  response.end(body)
}
