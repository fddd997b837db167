import { isDocId, isDocSecret, newDocId, newDocSecret, type DocId, type DocSecret } from './ids'

// Share links (rule LINK-1): `<origin>/#/d/<docId>/<secret>`. Both parts sit in the URL
// fragment, which browsers never send to a server, so neither the static host nor the
// signaling server ever learns which document is opened or how to read it.

export interface DocAddress {
  readonly docId: DocId
  readonly secret: DocSecret
}

export type ShareLinkErrorReason =
  | 'not-a-document-link'
  | 'malformed-document-id'
  | 'malformed-secret'
  | 'malformed-view-token'
  | 'trailing-garbage'

export class ShareLinkError extends Error {
  constructor(
    readonly reason: ShareLinkErrorReason,
    message: string,
  ) {
    super(message)
    this.name = 'ShareLinkError'
  }
}

export function newDocAddress(): DocAddress {
  return { docId: newDocId(), secret: newDocSecret() }
}

/** The hash route of a document, e.g. `#/d/<docId>/<secret>`. */
export function documentHash(address: DocAddress): string {
  return `#/d/${address.docId}/${address.secret}`
}

/**
 * The full link a user shares: the app's origin and path, the signaling servers if the app was
 * told to use particular ones (so the recipient meets the sharer there), and the hash route.
 * No other part of the current URL travels.
 */
export function shareLink(appUrl: string, address: DocAddress): string {
  return shareLinkFor(appUrl, documentHash(address))
}

/** `shareLink` for any hash route: an edit link's or a view link's (VIEW-1). */
export function shareLinkFor(appUrl: string, hash: string): string {
  const url = new URL(appUrl)
  const signaling = url.searchParams.get('signaling')
  const query = signaling === null ? '' : `?${new URLSearchParams({ signaling }).toString()}`
  return `${url.origin}${url.pathname}${query}${hash}`
}

/**
 * Parses a location hash (`#/d/<docId>/<secret>`) or a whole link. Returns null for the home
 * route (empty hash or `#/`), throws ShareLinkError with a reason for anything else malformed.
 */
export function parseDocumentHash(input: string): DocAddress | null {
  const parts = hashParts(input)
  if (parts === null) return null
  // ['', 'd', docId, secret]
  if (parts[0] !== '' || parts[1] !== 'd' || parts.length < 4) {
    throw new ShareLinkError(
      'not-a-document-link',
      'This is not a Meshpad document link (expected #/d/<id>/<secret>).',
    )
  }
  const [, , docId = '', secret = '', ...rest] = parts
  const id = checkedDocId(docId)
  if (!isDocSecret(secret)) {
    throw new ShareLinkError(
      'malformed-secret',
      'The secret in this link is malformed: the link was probably cut short when copied.',
    )
  }
  checkNothingAfter(rest, 'the secret')
  return { docId: id, secret }
}

/** The route's parts (`['', 'd', id, secret]`), or null for the home route. */
export function hashParts(input: string): string[] | null {
  const hashIndex = input.indexOf('#')
  const hash = hashIndex >= 0 ? input.slice(hashIndex + 1) : input.includes('://') ? '' : input
  if (hash === '' || hash === '/') return null
  return hash.split('/')
}

export function checkedDocId(docId: string): DocId {
  if (!isDocId(docId)) {
    throw new ShareLinkError(
      'malformed-document-id',
      'The document id in this link is malformed: the link was probably cut short when copied.',
    )
  }
  return docId
}

/** A link may end in one slash, nothing more. */
export function checkNothingAfter(rest: readonly string[], last: string): void {
  if (rest.length > 0 && !(rest.length === 1 && rest[0] === '')) {
    throw new ShareLinkError(
      'trailing-garbage',
      `This document link has extra parts after ${last}.`,
    )
  }
}
