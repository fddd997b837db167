import { afterEach, describe, expect, it } from 'vitest'
import { newDocAddress, type DocAddress } from '../../src/share/link'

// The contract of the replication port (`ReplicationAdapter`, src/sync/port.ts), run against
// every adapter with real parts, as automerge-repo runs one suite against each network adapter:
// WebrtcAdapter (y-webrtc over @roamhq/wrtc, one peer per child process, through the real
// server's /signal) and AlwaysOnGroup (through the real server's /store), in
// test/integration/replication-adapters.test.ts. The suite reaches an adapter only through the
// port's three methods plus what a user has: a document to edit and read.
//
// A new adapter may start connected (WebrtcAdapter) or wait for connect() (AlwaysOnGroup, which
// the session connects only once the local copy is loaded): the port does not say, so the suite
// always calls connect() before it expects anything to flow.
//
// "Does not arrive" cannot be observed at one instant over a network. Each such check first
// measures how long a change took to cross while connected, then waits several times that (at
// least QUIET_MIN_MS) before it looks: anything still on its way by then would have been
// delivered in the positive half. The server's own count of open connections (its /metrics)
// backs the claims about pausing and releasing.

/** One document replica and its adapter, driven on the replica's side. */
export interface Replica {
  /** `ReplicationAdapter.connect()`. */
  connect(): Promise<void>
  /** `ReplicationAdapter.disconnect()`. */
  disconnect(): Promise<void>
  /** `ReplicationAdapter.destroy()`; resolves when its promise does. The document stays. */
  destroy(): Promise<void>
  /** A local edit: appends one paragraph. */
  append(text: string): Promise<void>
  /** The document's paragraphs, in order. */
  paragraphs(): Promise<readonly string[]>
}

export interface ReplicationBackend {
  /** A replica of `address` with a new adapter (not yet told to connect by the suite). */
  replica(address: DocAddress, name: string): Promise<Replica>
  /** Connections the server holds open on this adapter's channel, by its /metrics. */
  connections(): Promise<number>
  /** Releases the replicas and the server. */
  teardown(): Promise<void>
}

export type ReplicationSetup = () => Promise<ReplicationBackend>

/** Cases of the suite an adapter may be known to fail, each with the reason shown in its name. */
export type ContractCase = 'resume-holds-one-connection'

export interface ContractOptions {
  /**
   * A known defect: the case runs as `it.fails`, so it reports green while the defect lasts and
   * turns red the day it is mended (then drop it from here).
   */
  readonly knownDefects?: Readonly<Partial<Record<ContractCase, string>>>
}

const WAIT = { timeout: 30_000, interval: 20 }
const QUIET_MIN_MS = 1_000
const QUIET_FACTOR = 5

export function runReplicationContract(
  name: string,
  setup: ReplicationSetup,
  options: ContractOptions = {},
): void {
  describe(`replication adapter contract (${name})`, { timeout: 90_000 }, () => {
    let backend: ReplicationBackend | null = null

    const caseOf =
      (id: ContractCase) =>
      (title: string, body: () => Promise<void>): void => {
        const defect = options.knownDefects?.[id]
        if (defect === undefined) it(title, body)
        else it.fails(`${title} (known defect: ${defect})`, body)
      }

    afterEach(async () => {
      await backend?.teardown()
      backend = null
    })

    /** Two replicas of one fresh document, both connected. */
    async function pair(): Promise<[Replica, Replica, ReplicationBackend]> {
      backend = await setup()
      const address = newDocAddress()
      const a = await backend.replica(address, 'A')
      const b = await backend.replica(address, 'B')
      await a.connect()
      await b.connect()
      return [a, b, backend]
    }

    /** Waits until `replica` holds `text`; returns how long that took. */
    async function arrives(replica: Replica, text: string): Promise<number> {
      const started = performance.now()
      await expect.poll(() => replica.paragraphs(), WAIT).toContain(text)
      return performance.now() - started
    }

    /** Waits long enough that a change sent now would have arrived, as measured by `crossing`. */
    async function quiet(crossingMs: number): Promise<void> {
      const ms = Math.max(QUIET_MIN_MS, QUIET_FACTOR * crossingMs)
      await new Promise((resolve) => setTimeout(resolve, ms))
    }

    it('[SYNC-5] [SYNC-1] [RELAY-1] two documents converge both ways, to the same paragraphs in the same order', async () => {
      const [a, b] = await pair()
      await a.append('from A')
      await arrives(b, 'from A')
      await b.append('from B')
      await arrives(a, 'from B')
      // Concurrent: each writes before it can have seen the other's.
      await Promise.all([a.append('A again'), b.append('B again')])
      await arrives(a, 'B again')
      await arrives(b, 'A again')
      expect(await a.paragraphs()).toHaveLength(4)
      expect(await b.paragraphs()).toEqual(await a.paragraphs())
    })

    it('[SYNC-5] [RECON-1] disconnect() pauses both ways, twice is once; connect() resumes and what was written meanwhile arrives', async () => {
      const [a, b, server] = await pair()
      await a.append('before')
      const crossing = await arrives(b, 'before')
      await expect.poll(() => server.connections(), WAIT).toBe(2)

      await a.disconnect()
      await a.disconnect()
      // A paused lets go of the server: it holds only B's connection.
      await expect.poll(() => server.connections(), WAIT).toBe(1)
      await a.append('written while paused')
      await b.append('written while A was paused')
      await quiet(crossing)
      expect(await b.paragraphs()).not.toContain('written while paused')
      expect(await a.paragraphs()).not.toContain('written while A was paused')

      await a.connect()
      await arrives(b, 'written while paused')
      await arrives(a, 'written while A was paused')
      expect(await b.paragraphs()).toEqual(await a.paragraphs())
    })

    it('[SYNC-5] connect() on a connected adapter is a no-op: one connection each, and changes still flow', async () => {
      const [a, b, server] = await pair()
      await a.connect()
      await b.connect()
      await a.append('after a second connect')
      const crossing = await arrives(b, 'after a second connect')
      // Time for a second connection to open, if connect() had made one.
      await quiet(crossing)
      expect(await server.connections()).toBe(2)
      expect(await b.paragraphs()).toEqual(await a.paragraphs())
    })

    caseOf('resume-holds-one-connection')(
      '[SYNC-5] [RECON-1] paused and resumed (twice over), an adapter holds one connection again, not one more',
      async () => {
        const [a, b, server] = await pair()
        await a.append('before the pause')
        const crossing = await arrives(b, 'before the pause')
        for (const round of [1, 2]) {
          await a.disconnect()
          await expect.poll(() => server.connections(), WAIT).toBe(1)
          await a.connect()
          await a.connect()
          await b.append(`after resume ${round}`)
          await arrives(a, `after resume ${round}`)
          await quiet(crossing)
          expect(await server.connections()).toBe(2)
        }
      },
    )

    it('[SYNC-5] destroy() resolves and releases: the server lets go, and nothing crosses afterwards', async () => {
      const [a, b, server] = await pair()
      await a.append('before destroy')
      const crossing = await arrives(b, 'before destroy')
      await expect.poll(() => server.connections(), WAIT).toBe(2)

      await a.destroy()
      await expect.poll(() => server.connections(), WAIT).toBe(1)
      await a.append('written after destroy')
      await b.append('written to a destroyed peer')
      await quiet(crossing)
      expect(await b.paragraphs()).not.toContain('written after destroy')
      expect(await a.paragraphs()).not.toContain('written to a destroyed peer')
    })
  })
}
