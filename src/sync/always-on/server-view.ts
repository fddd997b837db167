import * as Y from 'yjs'

// What this browser knows an always-on peer holds: a state vector and a delete set built from
// every entry it received from the peer or had acknowledged by it. It answers one question
// cheaply: does the peer already have this change? That decides whether a change that reached
// this browser some other way (a WebRTC peer, IndexedDB) must be uploaded.

export class ServerView {
  private sv = new Map<number, number>()
  private ds = Y.createDeleteSet()

  reset(): void {
    this.sv = new Map()
    this.ds = Y.createDeleteSet()
  }

  /** Records a Yjs update (V1) the peer now holds. */
  add(update: Uint8Array): void {
    const { structs, ds } = Y.decodeUpdate(update)
    for (const struct of structs) {
      if (struct instanceof Y.Skip) continue
      const end = struct.id.clock + struct.length
      if ((this.sv.get(struct.id.client) ?? 0) < end) this.sv.set(struct.id.client, end)
    }
    this.ds = Y.mergeDeleteSets([this.ds, ds])
  }

  /** True when the peer already holds every insertion and deletion of the update (V1). */
  contains(update: Uint8Array): boolean {
    return Y.snapshotContainsUpdate(Y.createSnapshot(this.ds, this.sv), update)
  }

  /** What `doc` holds that the peer lacks (V1), or null when the peer has all of it. */
  missingFrom(doc: Y.Doc): Uint8Array | null {
    if (doc.store.clients.size === 0) return null
    const missing = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(this.sv))
    return this.contains(missing) ? null : missing
  }
}
