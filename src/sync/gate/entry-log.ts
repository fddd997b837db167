import * as Y from 'yjs'

// What a peer that cannot sign keeps to serve others (rule GATE-4). A reader cannot make a
// signed diff for a newcomer as an editor does, so it keeps the signed entries that brought it
// something new and hands on those the newcomer's state vector does not cover. A state vector
// says nothing about deletions, so entries that delete are always handed on (applying a known
// deletion again changes nothing). The log is bounded: past the limit the oldest entries go,
// and newcomers then get the rest from an editor or an always-on peer.

interface Logged {
  readonly bytes: Uint8Array
  /** Highest clock + 1 per client this entry's update inserts. */
  readonly to: Map<number, number>
  readonly deletes: boolean
}

export const ENTRY_LOG_MAX_BYTES = 32 * 1024 * 1024

export class EntryLog {
  private entries: Logged[] = []
  private bytes = 0

  constructor(private readonly maxBytes = ENTRY_LOG_MAX_BYTES) {}

  get size(): number {
    return this.entries.length
  }

  /** Logs an entry from its update: two passes over all of it (a book: ~300 ms at x20). */
  add(bytes: Uint8Array, update: Uint8Array): void {
    const meta = Y.parseUpdateMeta(update)
    this.addKnown(bytes, meta.to, Y.decodeUpdate(update).ds.clients.size > 0)
  }

  /**
   * Logs an entry whose reach the gate read from the apply (GATE-8): the clocks it added and
   * whether it deleted anything new. What else it repeats, the log holds already: the entries
   * that first brought it were logged then, since they told this peer something new.
   */
  addKnown(bytes: Uint8Array, to: Map<number, number>, deletes: boolean): void {
    this.entries.push({ bytes, to, deletes })
    this.bytes += bytes.length
    while (this.bytes > this.maxBytes && this.entries.length > 1) {
      const dropped = this.entries.shift()
      if (dropped) this.bytes -= dropped.bytes.length
    }
  }

  /** The entries a peer with this state vector may lack, oldest first. */
  missing(stateVector: Map<number, number>): Uint8Array[] {
    return this.entries
      .filter(
        (entry) => entry.deletes || [...entry.to].some(([c, to]) => (stateVector.get(c) ?? 0) < to),
      )
      .map((entry) => entry.bytes)
  }
}
