import { deriveDocKeys, type DocKeys, type ReadKeys } from './keys'
import type { DocId } from './ids'
import {
  checkedDocId,
  checkNothingAfter,
  documentHash,
  hashParts,
  parseDocumentHash,
  ShareLinkError,
  type DocAddress,
} from './link'
import { isViewToken, readKeysOfToken, viewHash, viewTokenOf, type ViewToken } from './view-link'

// What a link gives its holder (rules VIEW-1..3): an edit link every key of the document, a view
// link only those that find, read and verify it. The app decides what to offer from `mode`; the
// peers decide what to accept from signatures, never from what a client says it is.

export type DocAccess =
  | {
      readonly mode: 'edit'
      readonly docId: DocId
      readonly address: DocAddress
      readonly keys: DocKeys
      readonly view: ViewToken
    }
  | {
      readonly mode: 'view'
      readonly docId: DocId
      readonly keys: ReadKeys
      readonly view: ViewToken
    }

export function editAccess(address: DocAddress): DocAccess {
  const keys = deriveDocKeys(address)
  return { mode: 'edit', docId: address.docId, address, keys, view: viewTokenOf(keys) }
}

export function viewAccess(docId: DocId, token: ViewToken): DocAccess {
  return { mode: 'view', docId, keys: readKeysOfToken(docId, token), view: token }
}

/** The hash route this access was opened with. */
export function accessHash(access: DocAccess): string {
  return access.mode === 'edit' ? documentHash(access.address) : viewHash(access.docId, access.view)
}

/** The hash route of the view link, whichever link this access was opened with. */
export function viewHashOf(access: DocAccess): string {
  return viewHash(access.docId, access.view)
}

/**
 * Parses a location hash or a whole link: an edit link (`#/d/<docId>/<secret>`) or a view link
 * (`#/v/<docId>/<token>`). Null for the home route; ShareLinkError for anything malformed.
 */
export function parseAccessHash(input: string): DocAccess | null {
  const parts = hashParts(input)
  if (parts === null || parts[0] !== '' || parts[1] !== 'v') {
    const address = parseDocumentHash(input)
    return address === null ? null : editAccess(address)
  }
  const [, , docId = '', token = '', ...rest] = parts
  const id = checkedDocId(docId)
  if (!isViewToken(token)) {
    throw new ShareLinkError(
      'malformed-view-token',
      'The key in this view link is malformed: the link was probably cut short when copied.',
    )
  }
  checkNothingAfter(rest, 'the key')
  try {
    return viewAccess(id, token)
  } catch {
    throw new ShareLinkError('malformed-view-token', 'The key in this view link is not valid.')
  }
}
