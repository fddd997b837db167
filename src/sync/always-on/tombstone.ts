import { NO_PARENT } from '../../protocol/entry'
import type { DocKeys } from '../../share/keys'
import { sealEntry, type OpenedEntry } from './crypto'
import { decodePayload, encodePayload } from './payload'

// The tombstone a browser seals when its document moves to a new link (rules MOVE-1..6): signed
// with the OLD write key (only that key can end the old topic), encrypted with the old read key,
// holding only the time of the move. It must reveal nothing of the new link: the old link is the
// one that leaked, and everyone holding it can open this.

export function sealTombstone(keys: DocKeys, movedAt: number = Date.now()): Uint8Array {
  return sealEntry(
    keys,
    { kind: 'tombstone', parent: NO_PARENT, covers: 0 },
    encodePayload({ type: 'moved', movedAt }),
  )
}

/** When the document moved, if this opened (verified, decrypted) entry is a tombstone; else null. */
export function movedAtOf(entry: OpenedEntry): number | null {
  if (entry.kind !== 'tombstone') return null
  const payload = decodePayload(entry.payload)
  return payload?.type === 'moved' ? payload.movedAt : null
}
