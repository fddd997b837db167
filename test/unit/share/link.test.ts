import { describe, expect, it } from 'vitest'
import { isDocId, isDocSecret } from '../../../src/share/ids'
import {
  documentHash,
  newDocAddress,
  parseDocumentHash,
  shareLink,
  ShareLinkError,
} from '../../../src/share/link'

describe('share links', () => {
  it('[LINK-1] a new address round-trips through its link, with both parts in the fragment', () => {
    const address = newDocAddress()
    expect(isDocId(address.docId)).toBe(true)
    expect(isDocSecret(address.secret)).toBe(true)
    const link = shareLink('http://127.0.0.1:8080/some/path?x=1#/old', address)
    expect(link).toBe(`http://127.0.0.1:8080/some/path#/d/${address.docId}/${address.secret}`)
    const url = new URL(link)
    // Nothing of the document reaches the server: path and query carry no part of it.
    expect(url.pathname + url.search).not.toContain(address.docId)
    expect(url.pathname + url.search).not.toContain(address.secret)
    expect(parseDocumentHash(link)).toEqual(address)
    expect(parseDocumentHash(documentHash(address))).toEqual(address)
  })

  it('[SYNC-3] the link carries the signaling servers the sharer uses, and nothing else of the query', () => {
    const address = newDocAddress()
    const link = shareLink(
      'https://pad.example/?utm=x&signaling=wss://a.example/signal,wss://b.example/signal',
      address,
    )
    const url = new URL(link)
    expect([...url.searchParams.keys()]).toEqual(['signaling'])
    expect(url.searchParams.get('signaling')).toBe('wss://a.example/signal,wss://b.example/signal')
    expect(parseDocumentHash(link)).toEqual(address)
  })

  it('[LINK-1] every new address is different', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 200; i++) {
      const { docId, secret } = newDocAddress()
      seen.add(docId)
      seen.add(secret)
    }
    expect(seen.size).toBe(400)
  })

  it('[LINK-1] the home route parses to null', () => {
    expect(parseDocumentHash('')).toBeNull()
    expect(parseDocumentHash('#')).toBeNull()
    expect(parseDocumentHash('#/')).toBeNull()
    expect(parseDocumentHash('http://host/')).toBeNull()
  })

  it('[LINK-6] malformed links give a clear reason', () => {
    const { docId, secret } = newDocAddress()
    const cases: [string, string][] = [
      ['#/x/abc', 'not-a-document-link'],
      ['#/d/', 'not-a-document-link'],
      [`#/d/${docId}`, 'not-a-document-link'],
      [`#/d/short/${secret}`, 'malformed-document-id'],
      [`#/d/${docId}/${secret.slice(0, 20)}`, 'malformed-secret'],
      [`#/d/${docId}/${secret.slice(0, -1)}!`, 'malformed-secret'],
      [`#/d/${docId}/${secret}/extra`, 'trailing-garbage'],
    ]
    for (const [input, reason] of cases) {
      let caught: unknown
      try {
        parseDocumentHash(input)
      } catch (error) {
        caught = error
      }
      expect(caught, input).toBeInstanceOf(ShareLinkError)
      expect((caught as ShareLinkError).reason, input).toBe(reason)
      expect((caught as ShareLinkError).message.length).toBeGreaterThan(10)
    }
  })

  it('[LINK-1] a trailing slash after the secret is tolerated', () => {
    const address = newDocAddress()
    expect(parseDocumentHash(`${documentHash(address)}/`)).toEqual(address)
  })
})
