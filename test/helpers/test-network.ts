import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import type { Rng } from './random'

// A deterministic transport between Y.Docs, modelled on Yjs's own TestConnector (yjs
// tests/testHelper.js): every local update is broadcast to every other peer as a y-protocols
// sync message, messages wait in one queue per directed link, and the test delivers them by
// hand, in an order drawn from its seeded rng. Nothing is relayed: a peer only hears updates
// from their author, as in y-webrtc's full mesh, so a lost message is only repaired by a sync
// handshake (step1 -> step2).
//
// Faults are injected when a message is sent (drop, duplicate, partition) and when it is
// delivered (reorder), and counted. `heal()` is the one reliable phase: it ends any partition,
// stops dropping, runs a full handshake between every pair and delivers until nothing is left.

export interface FaultConfig {
  /** Probability that a sent message is lost. */
  drop: number
  /** Probability that a sent message is delivered twice. */
  duplicate: number
  /** Probability that a delivery takes a random queued message of its link, not the oldest. */
  reorder: number
}

export interface FaultCounts {
  dropped: number
  duplicated: number
  /** Deliveries that overtook an older message on the same link. */
  reordered: number
  /** Messages lost because sender and receiver were on two sides of a partition. */
  partitioned: number
}

export const NO_FAULTS: FaultConfig = { drop: 0, duplicate: 0, reorder: 0 }

interface Link {
  readonly from: number
  readonly to: number
  readonly queue: Uint8Array[]
}

export class TestNetwork {
  readonly faults: FaultCounts = { dropped: 0, duplicated: 0, reordered: 0, partitioned: 0 }
  delivered = 0
  private readonly links: Link[] = []
  private readonly linkOf: Link[][] = []
  private group: number[]
  private queued = 0
  // Directed links that lost a message (drop or partition) since their pair last shook hands.
  private readonly lossy = new Set<Link>()
  private readonly detach: (() => void)[] = []

  constructor(
    readonly docs: readonly Y.Doc[],
    private readonly rng: Rng,
    private config: FaultConfig,
  ) {
    this.group = docs.map(() => 0)
    docs.forEach((_, from) => {
      const row: Link[] = []
      docs.forEach((__, to) => {
        const link = { from, to, queue: [] }
        row.push(link)
        if (from !== to) this.links.push(link)
      })
      this.linkOf.push(row)
    })
    docs.forEach((doc, from) => {
      // Updates this network applied carry `this` as origin: they are not re-broadcast.
      const onUpdate = (update: Uint8Array, origin: unknown): void => {
        if (origin === this) return
        const encoder = encoding.createEncoder()
        syncProtocol.writeUpdate(encoder, update)
        this.broadcast(from, encoding.toUint8Array(encoder))
      }
      doc.on('update', onUpdate)
      this.detach.push(() => doc.off('update', onUpdate))
    })
  }

  /** Messages sent and not yet delivered. */
  get pending(): number {
    return this.queued
  }

  /**
   * Splits the peers into groups (every peer in exactly one); messages between groups are lost,
   * including those already queued, until `reconnect()` or `heal()`.
   */
  partition(groups: readonly (readonly number[])[]): void {
    const group = this.docs.map(() => -1)
    groups.forEach((members, g) => members.forEach((peer) => (group[peer] = g)))
    if (group.some((g) => g < 0)) throw new Error('partition: every peer must be in a group')
    this.group = group
    for (const link of this.links) {
      if (!this.reachable(link.from, link.to) && link.queue.length > 0) {
        this.faults.partitioned += link.queue.length
        this.lossy.add(link)
        this.queued -= link.queue.length
        link.queue.length = 0
      }
    }
  }

  get partitioned(): boolean {
    return this.group.some((g) => g !== this.group[0])
  }

  /**
   * Ends a partition and starts a sync handshake between every pair, as peers do when they
   * reconnect. The handshake messages are ordinary messages: subject to the configured faults.
   */
  reconnect(): void {
    this.group = this.docs.map(() => 0)
    this.handshake()
  }

  /**
   * Starts a sync handshake between two peers (step1 both ways), as a pair of peers does when
   * their connection is re-established. Ordinary messages: subject to the configured faults.
   */
  resync(a: number, b: number): void {
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      const link = this.link(from, to)
      this.lossy.delete(link)
      this.send(from, to, this.step1(from))
    }
  }

  /**
   * Pairs `[from, to]` whose link lost a message since their last handshake: on a reliable
   * channel (a WebRTC data channel) a lost message means a broken connection, which the peers
   * notice and re-establish with a handshake; the caller decides when.
   */
  lossyLinks(): [number, number][] {
    return [...this.lossy].map((link) => [link.from, link.to])
  }

  /** Delivers one queued message, chosen at random; false when nothing is queued. */
  deliverOne(): boolean {
    if (this.queued === 0) return false
    let n = this.rng.int(this.queued)
    for (const link of this.links) {
      if (n >= link.queue.length) {
        n -= link.queue.length
        continue
      }
      // Links are picked in proportion to their queues, so deliveries across links interleave
      // at random; within a link, a reorder fault lets a younger message overtake.
      const reorder = this.config.reorder > 0 && this.rng.chance(this.config.reorder)
      const index = reorder ? this.rng.int(link.queue.length) : 0
      if (index > 0) this.faults.reordered += 1
      const [message] = link.queue.splice(index, 1)
      this.queued -= 1
      if (message !== undefined) this.receive(link.from, link.to, message)
      return true
    }
    throw new Error('test-network: queue count out of step with the queues')
  }

  /** Delivers up to `max` messages; returns how many. */
  flush(max: number): number {
    let count = 0
    while (count < max && this.deliverOne()) count += 1
    return count
  }

  /** Delivers until no message is queued (replies included). */
  flushAll(): void {
    while (this.deliverOne()) {
      // each delivery may queue replies; keep going until quiet
    }
  }

  /**
   * Reconnects everyone, then runs a reliable (no drop) sync handshake between every pair and
   * delivers until quiet. Duplication and reordering stay on: they must not matter.
   */
  heal(): void {
    const saved = this.config
    this.config = { ...saved, drop: 0 }
    try {
      this.group = this.docs.map(() => 0)
      this.handshake()
      this.flushAll()
    } finally {
      this.config = saved
    }
  }

  destroy(): void {
    for (const off of this.detach) off()
    this.detach.length = 0
  }

  private handshake(): void {
    this.lossy.clear()
    this.docs.forEach((_, from) => {
      const step1 = this.step1(from)
      this.docs.forEach((__, to) => {
        if (to !== from) this.send(from, to, step1)
      })
    })
  }

  private step1(from: number): Uint8Array {
    const doc = this.docs[from]
    if (doc === undefined) throw new Error(`test-network: no peer ${from}`)
    const encoder = encoding.createEncoder()
    syncProtocol.writeSyncStep1(encoder, doc)
    return encoding.toUint8Array(encoder)
  }

  private link(from: number, to: number): Link {
    const link = this.linkOf[from]?.[to]
    if (link === undefined || from === to) throw new Error(`test-network: no link ${from} -> ${to}`)
    return link
  }

  private reachable(from: number, to: number): boolean {
    return this.group[from] === this.group[to]
  }

  private broadcast(from: number, message: Uint8Array): void {
    this.docs.forEach((_, to) => {
      if (to !== from) this.send(from, to, message)
    })
  }

  private send(from: number, to: number, message: Uint8Array): void {
    const link = this.link(from, to)
    if (!this.reachable(from, to)) {
      this.faults.partitioned += 1
      this.lossy.add(link)
      return
    }
    if (this.config.drop > 0 && this.rng.chance(this.config.drop)) {
      this.faults.dropped += 1
      this.lossy.add(link)
      return
    }
    link.queue.push(message)
    this.queued += 1
    if (this.config.duplicate > 0 && this.rng.chance(this.config.duplicate)) {
      this.faults.duplicated += 1
      link.queue.push(message)
      this.queued += 1
    }
  }

  private receive(from: number, to: number, message: Uint8Array): void {
    const doc = this.docs[to]
    if (doc === undefined) throw new Error(`test-network: no peer ${to}`)
    const reply = encoding.createEncoder()
    syncProtocol.readSyncMessage(decoding.createDecoder(message), reply, doc, this)
    this.delivered += 1
    if (encoding.length(reply) > 0) this.send(to, from, encoding.toUint8Array(reply))
  }
}

/** Whether two docs know the same structs (equal state vectors, compared client by client). */
export function sameStateVector(a: Y.Doc, b: Y.Doc): boolean {
  const left = Y.decodeStateVector(Y.encodeStateVector(a))
  const right = Y.decodeStateVector(Y.encodeStateVector(b))
  return (
    left.size === right.size && [...left].every(([client, clock]) => right.get(client) === clock)
  )
}
