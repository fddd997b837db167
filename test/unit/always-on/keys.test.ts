import { ed25519 } from '@noble/curves/ed25519.js'
import { describe, expect, it } from 'vitest'
import { deriveRoomKeys } from '../../../src/share/derive'
import { deriveDocKeys, deriveReadKeys, storeTopicOf } from '../../../src/share/keys'
import { newDocAddress, type DocAddress } from '../../../src/share/link'
import type { DocId, DocSecret } from '../../../src/share/ids'

const fixed: DocAddress = {
  docId: 'AAAAAAAAAAAAAAAAAAAAAA' as DocId,
  secret: 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB' as DocSecret,
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

describe('document keys', () => {
  it('[KEY-1] the same link always yields the same keys', () => {
    const a = deriveDocKeys(fixed)
    const b = deriveDocKeys({ ...fixed })
    expect(hex(a.signingKey)).toBe(hex(b.signingKey))
    expect(hex(a.encryptionKey)).toBe(hex(b.encryptionKey))
    expect(a.storeTopic).toBe(b.storeTopic)
  })

  it('[KEY-1] keys are domain-separated: signing key, read secret and encryption key all differ', () => {
    const keys = deriveDocKeys(fixed)
    const all = [keys.signingKey, keys.readSecret, keys.encryptionKey, keys.verifyKey].map(hex)
    expect(new Set(all).size).toBe(4)
    for (const key of [keys.signingKey, keys.readSecret, keys.encryptionKey]) {
      expect(key).toHaveLength(32)
    }
  })

  it('[KEY-1] another document id or secret gives unrelated keys', () => {
    const base = deriveDocKeys(fixed)
    const otherId = deriveDocKeys({ ...fixed, docId: 'AAAAAAAAAAAAAAAAAAAAAB' as DocId })
    const otherSecret = deriveDocKeys({
      ...fixed,
      secret: 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBC' as DocSecret,
    })
    for (const other of [otherId, otherSecret]) {
      expect(hex(other.signingKey)).not.toBe(hex(base.signingKey))
      expect(hex(other.encryptionKey)).not.toBe(hex(base.encryptionKey))
      expect(other.storeTopic).not.toBe(base.storeTopic)
    }
  })

  it('[KEY-1] what the read secret yields matches the edit keys, and carries no signing key', () => {
    const edit = deriveDocKeys(fixed)
    const read = deriveReadKeys(fixed.docId, edit.readSecret, edit.verifyKey)
    expect(hex(read.encryptionKey)).toBe(hex(edit.encryptionKey))
    expect(read.storeTopic).toBe(edit.storeTopic)
    expect('signingKey' in read).toBe(false)
    // The verify key is the public half of the signing key.
    expect(hex(ed25519.getPublicKey(edit.signingKey))).toBe(hex(edit.verifyKey))
  })

  it('[KEY-3] the store topic commits to the verify key and differs from the signaling topic', () => {
    const keys = deriveDocKeys(fixed)
    expect(keys.storeTopic).toBe(storeTopicOf(keys.verifyKey))
    expect(keys.storeTopic).toMatch(/^mp2\.[A-Za-z0-9_-]{43}$/)
    const flipped = keys.verifyKey.slice()
    flipped[0] = (flipped[0] ?? 0) ^ 1
    expect(storeTopicOf(flipped)).not.toBe(keys.storeTopic)
    expect(keys.storeTopic).not.toBe(deriveRoomKeys(fixed).topic)
  })

  it('[KEY-2] a link made before (same format) still derives every key', () => {
    const address = newDocAddress()
    const keys = deriveDocKeys(address)
    expect(keys.docId).toBe(address.docId)
    expect(keys.verifyKey).toHaveLength(32)
  })

  it('[KEY-1] malformed read keys are refused', () => {
    expect(() => deriveReadKeys(fixed.docId, new Uint8Array(31), new Uint8Array(32))).toThrow()
  })
})
