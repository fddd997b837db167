import { readFileSync, readdirSync } from 'node:fs'
import { get, type IncomingMessage } from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServerProcess, type ServerProcess } from '../helpers/server-process'

// SIG-20: the built app goes out gzipped to clients that accept it, byte-identical once
// decompressed, and as-is to those that do not. Needs dist/ (npm test builds it first).

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

function fetchRaw(
  url: string,
  acceptEncoding?: string,
): Promise<{ res: IncomingMessage; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { headers: acceptEncoding ? { 'Accept-Encoding': acceptEncoding } : {} }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ res, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    }).on('error', reject)
  })
}

describe('static app compression', () => {
  let server: ServerProcess
  beforeAll(async () => {
    server = await startServerProcess()
  })
  afterAll(async () => {
    await server.stop()
  })

  it('[SIG-20] the app bundle is gzipped for clients that accept it and identical once inflated', async () => {
    const bundle = readdirSync(path.join(root, 'dist/assets')).find(
      (name) => name.endsWith('.js') && name.startsWith('index-'),
    )
    expect(bundle, 'dist/assets has the app bundle (run npm run build)').toBeDefined()
    const url = `${server.url.replace(/\/$/, '')}/assets/${bundle ?? ''}`
    const original = readFileSync(path.join(root, 'dist/assets', bundle ?? ''))

    const zipped = await fetchRaw(url, 'gzip, deflate, br')
    expect(zipped.res.headers['content-encoding']).toBe('gzip')
    expect(zipped.res.headers.vary).toBe('Accept-Encoding')
    expect(zipped.body.byteLength).toBeLessThan(original.byteLength / 2)
    expect(gunzipSync(zipped.body).equals(original)).toBe(true)

    const plain = await fetchRaw(url)
    expect(plain.res.headers['content-encoding']).toBeUndefined()
    expect(plain.body.equals(original)).toBe(true)

    const refused = await fetchRaw(url, 'gzip;q=0')
    expect(refused.res.headers['content-encoding']).toBeUndefined()
  })
})
