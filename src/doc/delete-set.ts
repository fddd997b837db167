import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'

// Deletions as plain ranges, for versions (VERSION-3): a version keeps only the deletions made
// since the version it builds on, because in Yjs a deletion is permanent (a later delete set
// always contains an earlier one). Encoded in Yjs's own V1 delete-set layout, so that
// `deletionsAsUpdate` is a valid Yjs update carrying nothing but these deletions.

export type Ranges = Map<number, [clock: number, length: number][]>

/** The document's delete set as sorted, merged ranges per client. */
export function deletionsOf(doc: Y.Doc): Ranges {
  const ds = Y.createDeleteSetFromStructStore(doc.store)
  const ranges: Ranges = new Map()
  for (const [client, items] of ds.clients) {
    ranges.set(
      client,
      items.map((item) => [item.clock, item.len]),
    )
  }
  return ranges
}

/** What `after` deletes that `before` does not (both sorted and merged per client). */
export function subtract(after: Ranges, before: Ranges): Ranges {
  const out: Ranges = new Map()
  for (const [client, ranges] of after) {
    const old = before.get(client) ?? []
    const kept: [number, number][] = []
    let j = 0
    for (const [clock, length] of ranges) {
      let start = clock
      const end = clock + length
      while (j < old.length && old[j]![0] + old[j]![1] <= start) j += 1
      let k = j
      while (start < end) {
        const cut = old[k]
        if (cut === undefined || cut[0] >= end) {
          kept.push([start, end - start])
          break
        }
        if (cut[0] > start) kept.push([start, cut[0] - start])
        start = Math.max(start, cut[0] + cut[1])
        k += 1
      }
    }
    if (kept.length > 0) out.set(client, kept)
  }
  return out
}

/** The union of several range sets, sorted and merged. */
export function union(sets: readonly Ranges[]): Ranges {
  const all = new Map<number, [number, number][]>()
  for (const set of sets) {
    for (const [client, ranges] of set) {
      const list = all.get(client) ?? []
      list.push(...ranges)
      all.set(client, list)
    }
  }
  const out: Ranges = new Map()
  for (const [client, list] of all) {
    list.sort((a, b) => a[0] - b[0])
    const merged: [number, number][] = []
    for (const [clock, length] of list) {
      const last = merged[merged.length - 1]
      if (last && last[0] + last[1] >= clock) {
        last[1] = Math.max(last[1], clock + length - last[0])
      } else merged.push([clock, length])
    }
    out.set(client, merged)
  }
  return out
}

export function encodeRanges(ranges: Ranges): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, ranges.size)
  for (const [client, list] of ranges) {
    encoding.writeVarUint(encoder, client)
    encoding.writeVarUint(encoder, list.length)
    for (const [clock, length] of list) {
      encoding.writeVarUint(encoder, clock)
      encoding.writeVarUint(encoder, length)
    }
  }
  return encoding.toUint8Array(encoder)
}

export function decodeRanges(bytes: Uint8Array): Ranges {
  const decoder = decoding.createDecoder(bytes)
  const ranges: Ranges = new Map()
  const clients = decoding.readVarUint(decoder)
  for (let i = 0; i < clients; i += 1) {
    const client = decoding.readVarUint(decoder)
    const count = decoding.readVarUint(decoder)
    const list: [number, number][] = []
    for (let j = 0; j < count; j += 1) {
      list.push([decoding.readVarUint(decoder), decoding.readVarUint(decoder)])
    }
    ranges.set(client, list)
  }
  return ranges
}

/** A Yjs update (V1) with no structs and exactly these deletions. */
export function deletionsAsUpdate(ranges: Ranges): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 0) // no struct clients
  encoding.writeUint8Array(encoder, encodeRanges(ranges))
  return encoding.toUint8Array(encoder)
}

/**
 * The structs `doc` holds beyond `since`, without its delete set: Yjs always appends the whole
 * delete set to an update, and a version keeps only the new deletions (see `subtract`). The
 * delete set is the tail of the V1 encoding and identical in both encodings made here, so it is
 * cut off and replaced by an empty one.
 */
export function structsSince(doc: Y.Doc, since: Uint8Array): Uint8Array {
  const withDeletions = Y.encodeStateAsUpdate(doc, since)
  const deletionsOnly = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(doc))
  // deletionsOnly = [0 struct clients][delete set]; withDeletions = [structs][delete set].
  const tail = deletionsOnly.length - 1
  const structs = withDeletions.subarray(0, withDeletions.length - tail)
  const out = new Uint8Array(structs.length + 1)
  out.set(structs)
  out[structs.length] = 0 // an empty delete set
  return out
}
