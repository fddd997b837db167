import { describe, expect, it } from 'vitest'
import {
  decodeServerMessage,
  encodeServerMessage,
  PUT_REJECTIONS,
} from '../../../src/protocol/always-on'
import { NO_PARENT, parseEntry } from '../../../src/protocol/entry'
import { deriveDocKeys, deriveReadKeys } from '../../../src/share/keys'
import { newDocAddress } from '../../../src/share/link'
import { openEntry, sealEntry } from '../../../src/sync/always-on/crypto'
import { decodePayload, encodePayload } from '../../../src/sync/always-on/payload'
import { movedAtOf, sealTombstone } from '../../../src/sync/always-on/tombstone'
import { canWrite } from '../../../src/sync/always-on/write-access'

const address = newDocAddress()
const keys = deriveDocKeys(address)
const readKeys = deriveReadKeys(keys.docId, keys.readSecret, keys.verifyKey)
const MAX = 1 << 20

describe('tombstones', () => {
  it('[MOVE-1] a tombstone sealed with the old keys opens with the view keys and says when, nothing more', () => {
    const sealed = sealTombstone(keys, 1_764_000_000_000)
    const parsed = parseEntry(sealed, MAX)
    expect(parsed.ok && parsed.value.kind).toBe('tombstone')
    expect(parsed.ok && parsed.value.parent).toEqual(NO_PARENT)
    const opened = openEntry(readKeys, sealed, MAX)
    expect(opened.ok).toBe(true)
    if (!opened.ok) return
    expect(movedAtOf(opened.value)).toBe(1_764_000_000_000)
    // The content is the payload kind and the time: no room for a new link or anything else.
    expect(decodePayload(opened.value.payload)).toEqual({
      type: 'moved',
      movedAt: 1_764_000_000_000,
    })
    expect(opened.value.payload.length).toBeLessThanOrEqual(1 + 8)
    expect(sealed.length).toBeLessThan(200)
  })

  it('[MOVE-1] only a tombstone entry holding a moved payload counts as a move', () => {
    const update = sealEntry(
      keys,
      { kind: 'update', parent: NO_PARENT, covers: 0 },
      encodePayload({ type: 'moved', movedAt: 5 }),
    )
    const asUpdate = openEntry(keys, update, MAX)
    expect(asUpdate.ok && movedAtOf(asUpdate.value)).toBeNull()
    const wrongContent = sealEntry(
      keys,
      { kind: 'tombstone', parent: NO_PARENT, covers: 0 },
      encodePayload({ type: 'update-v1', update: new Uint8Array([1]) }),
    )
    const opened = openEntry(keys, wrongContent, MAX)
    expect(opened.ok && movedAtOf(opened.value)).toBeNull()
  })

  it('[MOVE-1] a tombstone builds on nothing and covers nothing, else it is malformed', () => {
    const onParent = sealEntry(
      keys,
      { kind: 'tombstone', parent: new Uint8Array(32).fill(1), covers: 0 },
      encodePayload({ type: 'moved', movedAt: 1 }),
    )
    expect(parseEntry(onParent, MAX)).toMatchObject({ ok: false, reason: 'malformed-entry' })
    const covering = sealEntry(
      keys,
      { kind: 'snapshot', parent: NO_PARENT, covers: 3 },
      encodePayload({ type: 'moved', movedAt: 1 }),
    )
    const asTombstone = covering.slice()
    asTombstone[1] = 4
    expect(parseEntry(asTombstone, MAX)).toMatchObject({ ok: false, reason: 'malformed-entry' })
  })

  it('[MOVE-5] a tombstone signed with another key does not open', () => {
    const forged = sealTombstone({ ...keys, signingKey: deriveDocKeys(newDocAddress()).signingKey })
    expect(openEntry(readKeys, forged, MAX)).toMatchObject({ ok: false, reason: 'bad-signature' })
  })

  it('[MOVE-1] a moved payload with trailing bytes or cut short is refused', () => {
    const moved = encodePayload({ type: 'moved', movedAt: 300 })
    expect(decodePayload(moved)).toEqual({ type: 'moved', movedAt: 300 })
    const padded = new Uint8Array(moved.length + 1)
    padded.set(moved)
    expect(decodePayload(padded)).toBeNull()
    expect(decodePayload(moved.subarray(0, 1))).toBeNull()
  })

  it('[MOVE-2] `moved` is a put rejection every client can read', () => {
    expect(PUT_REJECTIONS).toContain('moved')
    const reject = { type: 'reject' as const, requestId: 3, reason: 'moved' as const, detail: 'x' }
    expect(decodeServerMessage(encodeServerMessage(reject))).toEqual({ ok: true, value: reject })
  })

  it('[STORE-13] only the keys of an edit link can write', () => {
    expect(canWrite(keys)).toBe(true)
    expect(canWrite(readKeys)).toBe(false)
  })
})
