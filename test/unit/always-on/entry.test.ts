import { describe, expect, it } from 'vitest'
import {
  decodeClientMessage,
  decodeServerMessage,
  encodeClientMessage,
  encodeServerMessage,
} from '../../../src/protocol/always-on'
import {
  NONCE_BYTES,
  NO_PARENT,
  PARENT_BYTES,
  parseEntry,
  SIGNATURE_BYTES,
  signEntry,
  verifyEntry,
  type EntryHeader,
} from '../../../src/protocol/entry'
import { deriveDocKeys } from '../../../src/share/keys'
import { newDocAddress } from '../../../src/share/link'
import { openEntry, sealEntry } from '../../../src/sync/always-on/crypto'
import { decodePayload, encodePayload } from '../../../src/sync/always-on/payload'

const keys = deriveDocKeys(newDocAddress())
const other = deriveDocKeys(newDocAddress())
const header: EntryHeader = { kind: 'update', parent: NO_PARENT, covers: 0 }
const payload = encodePayload({ type: 'update-v1', update: new Uint8Array([1, 2, 3]) })
const MAX = 1 << 20

describe('entries', () => {
  it('[ENTRY-1] a sealed entry opens with the document keys and gives back its payload', () => {
    const sealed = sealEntry(keys, header, payload)
    const opened = openEntry(keys, sealed, MAX)
    expect(opened.ok).toBe(true)
    if (!opened.ok) return
    expect(opened.value.kind).toBe('update')
    expect(decodePayload(opened.value.payload)).toEqual({
      type: 'update-v1',
      update: new Uint8Array([1, 2, 3]),
    })
    // The plaintext does not appear in the entry.
    expect(Buffer.from(sealed).includes(Buffer.from(payload))).toBe(false)
  })

  it('[ENTRY-1] two seals of one payload differ (fresh nonce)', () => {
    const a = sealEntry(keys, header, payload)
    const b = sealEntry(keys, header, payload)
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false)
  })

  it('[ENTRY-2] every single flipped byte fails verification', () => {
    const sealed = sealEntry(keys, header, payload)
    for (let i = 0; i < sealed.length; i += 1) {
      const tampered = sealed.slice()
      tampered[i] = (tampered[i] ?? 0) ^ 0x01
      const opened = openEntry(keys, tampered, MAX)
      expect(opened.ok, `byte ${i}`).toBe(false)
    }
  })

  it('[ENTRY-2] an entry does not verify for another document or another key', () => {
    const sealed = sealEntry(keys, header, payload)
    const parsed = parseEntry(sealed, MAX)
    expect(parsed.ok).toBe(true)
    if (!parsed.ok) return
    expect(verifyEntry(parsed.value, keys.storeTopic, keys.verifyKey)).toBe(true)
    expect(verifyEntry(parsed.value, other.storeTopic, keys.verifyKey)).toBe(false)
    expect(verifyEntry(parsed.value, keys.storeTopic, other.verifyKey)).toBe(false)
    expect(openEntry(other, sealed, MAX)).toMatchObject({ ok: false, reason: 'bad-signature' })
  })

  it('[ENTRY-4] an entry signed right but encrypted with another key is undecryptable', () => {
    const forged = sealEntry({ ...keys, encryptionKey: other.encryptionKey }, header, payload)
    expect(openEntry(keys, forged, MAX)).toMatchObject({ ok: false, reason: 'undecryptable' })
  })

  it('[ENTRY-3] truncated, padded, oversized and mislabelled entries are refused with a reason', () => {
    const sealed = sealEntry(keys, header, payload)
    for (let cut = 0; cut < sealed.length; cut += 7) {
      expect(parseEntry(sealed.subarray(0, cut), MAX).ok, `cut at ${cut}`).toBe(false)
    }
    const padded = new Uint8Array(sealed.length + 1)
    padded.set(sealed)
    expect(parseEntry(padded, MAX)).toMatchObject({ ok: false, reason: 'malformed-entry' })
    expect(parseEntry(sealed, sealed.length - 1)).toMatchObject({
      ok: false,
      reason: 'entry-too-large',
    })
    const version = sealed.slice()
    version[0] = 2
    expect(parseEntry(version, MAX)).toMatchObject({
      ok: false,
      reason: 'unsupported-entry-version',
    })
    const kind = sealed.slice()
    kind[1] = 9
    expect(parseEntry(kind, MAX)).toMatchObject({ ok: false, reason: 'unknown-entry-kind' })
    const covers = sealEntry(keys, { kind: 'snapshot', parent: NO_PARENT, covers: 5 }, payload)
    const asUpdate = covers.slice()
    asUpdate[1] = 1
    expect(parseEntry(asUpdate, MAX)).toMatchObject({ ok: false, reason: 'malformed-entry' })
    expect(parseEntry(new Uint8Array(0), MAX).ok).toBe(false)
  })

  it('[ENTRY-3] anything shorter than the smallest entry is malformed-entry, whatever its first bytes', () => {
    // version, kind, parent, one-byte covers, nonce, one-byte length, signature: an empty
    // ciphertext under a zero covers is the smallest entry there is.
    const minimum = 1 + 1 + PARENT_BYTES + 1 + NONCE_BYTES + 1 + SIGNATURE_BYTES
    const smallest = signEntry(
      keys.storeTopic,
      header,
      new Uint8Array(NONCE_BYTES),
      new Uint8Array(0),
      keys.signingKey,
    )
    expect(smallest.length).toBe(minimum)
    expect(parseEntry(smallest, MAX).ok).toBe(true)
    // Own copies (slice), so that nothing past the end is readable from a shared buffer.
    const reasons = Object.fromEntries(
      [0, 1, 2, minimum - 1].map((length) => {
        const parsed = parseEntry(smallest.slice(0, length), MAX)
        return [length, parsed.ok ? 'ok' : parsed.reason]
      }),
    )
    expect(reasons).toEqual({
      0: 'malformed-entry',
      1: 'malformed-entry',
      2: 'malformed-entry',
      [minimum - 1]: 'malformed-entry',
    })
    // A lone byte of another version or an unknown kind is still a cut entry, nothing more.
    for (const lone of [0, 2, 0xff]) {
      expect(parseEntry(new Uint8Array([lone]), MAX)).toMatchObject({
        ok: false,
        reason: 'malformed-entry',
      })
    }
  })

  it('[ENTRY-3] payloads of unknown kind or with trailing bytes are refused', () => {
    expect(decodePayload(new Uint8Array([9, 0]))).toBeNull()
    expect(decodePayload(new Uint8Array([1, 1, 7, 0]))).toBeNull()
    expect(decodePayload(new Uint8Array([]))).toBeNull()
    const awareness = encodePayload({ type: 'awareness', sentAt: 123, update: new Uint8Array([4]) })
    expect(decodePayload(awareness)).toEqual({
      type: 'awareness',
      sentAt: 123,
      update: new Uint8Array([4]),
    })
  })
})

describe('store protocol frames', () => {
  it('[STORE-4] every frame round-trips and carries the version', () => {
    const hello = {
      type: 'hello' as const,
      topic: keys.storeTopic,
      verifyKey: keys.verifyKey,
      haveSnapshot: new Uint8Array(0),
      since: 42,
    }
    const bytes = encodeClientMessage(hello)
    expect(bytes[0]).toBe(1)
    expect(decodeClientMessage(bytes)).toEqual({ ok: true, value: hello })
    const welcome = {
      type: 'welcome' as const,
      head: 3,
      snapshot: { seq: 2, entry: new Uint8Array([1]) },
      updates: [{ seq: 3, entry: new Uint8Array([2, 3]) }],
    }
    expect(decodeServerMessage(encodeServerMessage(welcome))).toEqual({ ok: true, value: welcome })
    const reject = {
      type: 'reject' as const,
      requestId: 7,
      reason: 'stale-parent' as const,
      detail: 'x',
    }
    expect(decodeServerMessage(encodeServerMessage(reject))).toEqual({ ok: true, value: reject })
  })

  it('[STORE-4] another version, an unknown type, trailing bytes and garbage are refused', () => {
    const put = encodeClientMessage({ type: 'put', requestId: 1, entry: new Uint8Array([1]) })
    const v2 = put.slice()
    v2[0] = 2
    expect(decodeClientMessage(v2)).toMatchObject({ ok: false, reason: 'unsupported-version' })
    const unknown = put.slice()
    unknown[1] = 99
    expect(decodeClientMessage(unknown)).toMatchObject({ ok: false, reason: 'malformed-frame' })
    const trailing = new Uint8Array(put.length + 1)
    trailing.set(put)
    expect(decodeClientMessage(trailing)).toMatchObject({ ok: false, reason: 'malformed-frame' })
    expect(decodeClientMessage(new Uint8Array([1]))).toMatchObject({ ok: false })
    expect(decodeServerMessage(new Uint8Array([1, 11, 0xff, 0xff]))).toMatchObject({ ok: false })
    const badReason = encodeServerMessage({
      type: 'reject',
      requestId: 1,
      reason: 'rate-limited',
      detail: '',
    })
    const text = Buffer.from(badReason).toString('latin1').replace('rate-limited', 'rate-limitex')
    expect(decodeServerMessage(new Uint8Array(Buffer.from(text, 'latin1')))).toMatchObject({
      ok: false,
    })
  })
})
