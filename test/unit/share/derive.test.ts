import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { deriveRoomKeys } from '../../../src/share/derive'
import { newDocAddress } from '../../../src/share/link'

describe('room key derivation', () => {
  it('[LINK-2] the topic and password reveal neither the secret nor the document id', () => {
    const address = newDocAddress()
    const keys = deriveRoomKeys(address)
    for (const value of [keys.topic, keys.password]) {
      expect(value).not.toContain(address.secret)
      expect(value).not.toContain(address.docId)
      expect(value).not.toContain(address.secret.slice(0, 8))
    }
    expect(keys.topic).toMatch(/^mp1\.[A-Za-z0-9_-]{43}$/)
    expect(keys.password).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('[LINK-3] derivation is deterministic, domain-separated and specific to each document', () => {
    const a = newDocAddress()
    const b = newDocAddress()
    expect(deriveRoomKeys(a)).toEqual(deriveRoomKeys({ ...a }))
    expect(deriveRoomKeys(a).topic).not.toBe(deriveRoomKeys(b).topic)
    expect(deriveRoomKeys(a).password).not.toBe(deriveRoomKeys(b).password)
    // The topic (seen by the server) is not the password (kept in the browser).
    expect(deriveRoomKeys(a).topic.slice(4)).not.toBe(deriveRoomKeys(a).password)
    // Same secret, different id: different room.
    expect(deriveRoomKeys({ ...b, secret: a.secret }).topic).not.toBe(deriveRoomKeys(a).topic)
  })

  it('[LINK-3] equals an independent SHA-256 of the labelled id and secret', () => {
    const address = newDocAddress()
    const expected = (label: string): string =>
      createHash('sha256')
        .update(`${label}\u0000${address.docId}\u0000${address.secret}`, 'utf8')
        .digest('base64url')
    expect(deriveRoomKeys(address)).toEqual({
      topic: `mp1.${expected('meshpad/v1/topic')}`,
      password: expected('meshpad/v1/password'),
    })
  })
})
