import { ed25519 } from '@noble/curves/ed25519.js'
import { fromBase64UrlEncoded } from 'lib0/buffer'
import { describe, expect, it } from 'vitest'
import { accessHash, editAccess, parseAccessHash, viewHashOf } from '../../../src/share/access'
import { deriveRoomKeys, deriveRoomKeysFromRead } from '../../../src/share/derive'
import { deriveDocKeys } from '../../../src/share/keys'
import { newDocAddress, ShareLinkError } from '../../../src/share/link'

// View links (docs/SPEC.md VIEW-1, VIEW-2, KEY-1): an edit link yields its view link; the view
// link yields what reads and verifies, never the write key or the edit secret.

function reasonOf(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    if (error instanceof ShareLinkError) return error.reason
    throw error
  }
  return 'accepted'
}

describe('view links', () => {
  it('[VIEW-1] an edit link yields a view link that opens the same document read-only', () => {
    const address = newDocAddress()
    const edit = editAccess(address)
    const viewHash = viewHashOf(edit)
    expect(viewHash).toMatch(/^#\/v\/[A-Za-z0-9_-]{22}\/[A-Za-z0-9_-]{86}$/)
    const view = parseAccessHash(`https://pad.example/${viewHash}`)
    expect(view?.mode).toBe('view')
    expect(view?.docId).toBe(address.docId)
    expect(view?.keys.verifyKey).toEqual(edit.keys.verifyKey)
    expect(view?.keys.encryptionKey).toEqual(edit.keys.encryptionKey)
    expect(view?.keys.storeTopic).toBe(edit.keys.storeTopic)
    expect(view && 'signingKey' in view.keys).toBe(false)
    // Its own view link is itself; an edit link parses back to edit access.
    if (view) expect(accessHash(view)).toBe(viewHash)
    expect(parseAccessHash(accessHash(edit))?.mode).toBe('edit')
  })

  it('[VIEW-1][KEY-1] a view link holds nothing that signs: neither the secret nor the write key', () => {
    const address = newDocAddress()
    const keys = deriveDocKeys(address)
    const token = viewHashOf(editAccess(address)).split('/').at(-1) ?? ''
    const bytes = fromBase64UrlEncoded(token)
    expect(bytes.length).toBe(64)
    const haystack = Buffer.from(bytes)
    for (const secret of [keys.signingKey, Buffer.from(address.secret)]) {
      expect(haystack.includes(Buffer.from(secret))).toBe(false)
    }
    expect(token).not.toContain(address.secret)
    // What it holds verifies the editor's signatures, and signs nothing that verifies.
    const message = new TextEncoder().encode('change')
    const genuine = ed25519.sign(message, keys.signingKey)
    expect(ed25519.verify(genuine, message, bytes.slice(32))).toBe(true)
    const guess = ed25519.sign(message, bytes.slice(0, 32))
    expect(ed25519.verify(guess, message, keys.verifyKey)).toBe(false)
  })

  it('[VIEW-2][LINK-2] editors and readers meet in one room, which reveals neither link', () => {
    const address = newDocAddress()
    const edit = editAccess(address)
    const view = parseAccessHash(viewHashOf(edit))
    if (!view) throw new Error('view link did not parse')
    const room = deriveRoomKeysFromRead(edit.keys)
    expect(deriveRoomKeysFromRead(view.keys)).toEqual(room)
    expect(room.topic).toMatch(/^mp2\.[A-Za-z0-9_-]{43}$/)
    expect(room.topic).not.toBe(deriveRoomKeys(address).topic)
    for (const value of [room.topic, room.password]) {
      expect(value).not.toContain(address.secret)
      expect(value).not.toContain(address.docId)
      expect(value).not.toContain(view.view.slice(0, 16))
    }
    expect(room.topic).not.toContain(room.password)
  })

  it('[VIEW-1][LINK-6] a malformed view link is refused with a reason', () => {
    const edit = editAccess(newDocAddress())
    const hash = viewHashOf(edit)
    expect(reasonOf(() => parseAccessHash(hash.slice(0, -3)))).toBe('malformed-view-token')
    expect(reasonOf(() => parseAccessHash(`${hash}/extra`))).toBe('trailing-garbage')
    expect(reasonOf(() => parseAccessHash(hash.replace('#/v/', '#/v/x')))).toBe(
      'malformed-document-id',
    )
    expect(reasonOf(() => parseAccessHash('#/v/'))).toBe('malformed-document-id')
    expect(parseAccessHash('#/')).toBeNull()
  })
})
