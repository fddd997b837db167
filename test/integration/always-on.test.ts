import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { newDocAddress } from '../../src/share/link'
import { startServer, type RunningServer } from '../../server/server'
import { storeClient, storeUrlOf, type StoreClient } from '../helpers/always-on-client'
import { waitFor } from '../helpers/wait-for'

// Always-on peers, end to end in Node: the real server on a real port with the embedded SQLite
// store on disk, and the app's own replication code (AlwaysOnGroup) as writers and readers.

const dirs: string[] = []
const servers: RunningServer[] = []
const clients: StoreClient[] = []

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'meshpad-always-on-'))
  dirs.push(dir)
  return dir
}

async function serve(dataDir: string): Promise<RunningServer> {
  const server = await startServer({ port: 0, logLevel: 'silent', dataDir })
  servers.push(server)
  return server
}

function client(server: RunningServer, address = newDocAddress()): StoreClient {
  const c = storeClient([storeUrlOf(server.url)], address)
  clients.push(c)
  return c
}

afterEach(async () => {
  for (const c of clients.splice(0)) await c.destroy()
  for (const s of servers.splice(0)) await s.close()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const pinned = (c: StoreClient) => () => c.status.get().pinned === 'pinned'

describe('always-on peers', () => {
  it('[STORE-1] a writer and a reader never online together converge, across a restart', async () => {
    const dataDir = tempDir()
    let server = await serve(dataDir)
    const address = newDocAddress()
    const writer = client(server, address)
    await waitFor('writer connected', () => writer.status.get().stores === 1)
    writer.text.insert(0, 'Minutes of Monday. ')
    await waitFor('writer pinned', pinned(writer))
    await writer.destroy()
    clients.splice(clients.indexOf(writer), 1)

    await server.close()
    servers.splice(0)
    server = await serve(dataDir)

    const reader = client(server, address)
    await waitFor('reader has the text', () => reader.text.toString() === 'Minutes of Monday. ')
    reader.text.insert(reader.text.length, 'Reply from B.')
    await waitFor('reader pinned', pinned(reader))
    await reader.destroy()
    clients.splice(clients.indexOf(reader), 1)

    const back = client(server, address)
    await waitFor(
      'writer sees the answer',
      () => back.text.toString() === 'Minutes of Monday. Reply from B.',
    )
  })

  it('[STORE-2] nothing readable is stored: no text, no title, no key under DATA_DIR', async () => {
    const dataDir = tempDir()
    const server = await serve(dataDir)
    const address = newDocAddress()
    const writer = client(server, address)
    const marker = 'UNMISTAKABLE-MARKER-7f3a'
    writer.text.insert(0, `# ${marker} title\n${marker} body`)
    await waitFor('pinned', pinned(writer))
    await server.close()
    servers.splice(0)
    const needles = [marker, address.secret, address.docId].map((needle) => Buffer.from(needle))
    let files = 0
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const file = path.join(dir, name)
        if (statSync(file).isDirectory()) walk(file)
        else {
          files += 1
          const bytes = readFileSync(file)
          for (const needle of needles) expect(bytes.includes(needle)).toBe(false)
        }
      }
    }
    walk(dataDir)
    expect(files).toBeGreaterThan(0)
  })

  it('[RELAY-1] two browsers with no WebRTC between them co-edit live through the peer', async () => {
    const server = await serve(tempDir())
    const address = newDocAddress()
    const a = client(server, address)
    const b = client(server, address)
    await waitFor(
      'both connected',
      () => a.status.get().stores === 1 && b.status.get().stores === 1,
    )
    a.text.insert(0, 'from A')
    await waitFor('B sees A', () => b.text.toString() === 'from A')
    b.text.insert(0, 'B says: ')
    await waitFor('A sees B', () => a.text.toString() === 'B says: from A')
    a.awareness.setLocalStateField('user', { name: 'Ada' })
    await waitFor('B sees A present through the relay', () => b.status.get().relayed === 1)
    // Presence is signed asynchronously (PRESENCE-1): the name follows the first state.
    await expect
      .poll(() => [...b.awareness.getStates().values()].map((state) => state['user'] as unknown))
      .toContainEqual({ name: 'Ada' })
  })

  it('[STORE-8] a long session stays compacted: stored bytes at most 2x the encoded state', async () => {
    const server = await serve(tempDir())
    const address = newDocAddress()
    const writer = client(server, address)
    await waitFor('connected', () => writer.status.get().stores === 1)
    // 6,000 keystrokes, typed in bursts as a person would: each burst waits for its ack.
    const words = 'the quick brown fox jumps over the lazy dog '.split('')
    for (let burst = 0; burst < 60; burst += 1) {
      for (let i = 0; i < 100; i += 1) {
        const position = Math.floor((writer.text.length * ((burst * 37 + i) % 100)) / 100)
        if (i % 7 === 6 && writer.text.length > 10) writer.text.delete(position, 1)
        else writer.text.insert(position, words[(burst + i) % words.length] ?? 'x')
      }
      await waitFor('burst pinned', pinned(writer))
    }
    const totals = await server.store!.totals()
    const state = (await import('yjs')).encodeStateAsUpdateV2(writer.doc).length
    expect(totals.documents).toBe(1)
    expect(totals.bytes).toBeLessThanOrEqual(2 * state + 512)
    const compactions = await server.metrics.registry.getSingleMetricAsString(
      'meshpad_store_compactions_total',
    )
    expect(compactions).toMatch(/meshpad_store_compactions_total [1-9]/)
    // A newcomer gets the same text from the compacted log.
    const reader = client(server, address)
    await waitFor('newcomer has it all', () => reader.text.toString() === writer.text.toString())
  })
})
