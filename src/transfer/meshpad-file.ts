import { ImportError } from './problems'

// The `.meshpad` file: a document's whole Yjs state, so that importing it gives back the
// document with its history, under a new address (rules XFER-4, XFER-5).
//
//   bytes  field
//   8      magic "MESHPAD\0"
//   1      format version (1)
//   4      metadata length M, unsigned big-endian
//   M      metadata: UTF-8 JSON { "title": string, "exportedAt": ISO 8601 string }
//   4      state length S, unsigned big-endian
//   S      the Y.Doc's state, Y.encodeStateAsUpdateV2
//
// Nothing may follow. Every length is checked against the bytes present, so a file cut short
// anywhere is refused as truncated, never read as a smaller document.

export const MESHPAD_MAGIC = new Uint8Array([0x4d, 0x45, 0x53, 0x48, 0x50, 0x41, 0x44, 0x00])
export const MESHPAD_FORMAT_VERSION = 1
export const MESHPAD_EXTENSION = '.meshpad'
/** Metadata is a title and a time: anything larger is not a file this build wrote. */
const MAX_METADATA_BYTES = 64 * 1024
const HEADER_BYTES = MESHPAD_MAGIC.length + 1 + 4

export interface MeshpadMetadata {
  readonly title: string
  readonly exportedAt: string
}

export interface MeshpadFile {
  readonly version: number
  readonly metadata: MeshpadMetadata
  readonly state: Uint8Array
}

export function encodeMeshpadFile(metadata: MeshpadMetadata, state: Uint8Array): Uint8Array {
  const meta = new TextEncoder().encode(
    JSON.stringify({ title: metadata.title, exportedAt: metadata.exportedAt }),
  )
  const out = new Uint8Array(HEADER_BYTES + meta.length + 4 + state.length)
  const view = new DataView(out.buffer)
  out.set(MESHPAD_MAGIC, 0)
  let at = MESHPAD_MAGIC.length
  view.setUint8(at, MESHPAD_FORMAT_VERSION)
  at += 1
  view.setUint32(at, meta.length)
  at += 4
  out.set(meta, at)
  at += meta.length
  view.setUint32(at, state.length)
  at += 4
  out.set(state, at)
  return out
}

/** True when `bytes` begins with the magic, or is a non-empty beginning of it. */
export function looksLikeMeshpad(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, MESHPAD_MAGIC.length)
  if (n === 0) return false
  for (let i = 0; i < n; i++) if (bytes[i] !== MESHPAD_MAGIC[i]) return false
  return true
}

function parseMetadata(bytes: Uint8Array): MeshpadMetadata {
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    throw new ImportError('damaged', 'the metadata block is not UTF-8 JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ImportError('damaged', 'the metadata block is not an object')
  }
  const { title, exportedAt } = value as Record<string, unknown>
  if (typeof title !== 'string' || typeof exportedAt !== 'string') {
    throw new ImportError('damaged', 'the metadata block lacks its title or export time')
  }
  return { title, exportedAt }
}

/** Reads the header and splits the file; the Yjs state itself is checked by the importer. */
export function decodeMeshpadFile(bytes: Uint8Array): MeshpadFile {
  if (!looksLikeMeshpad(bytes)) {
    throw new ImportError('not-a-meshpad-file', 'the file does not start with MESHPAD')
  }
  if (bytes.length <= MESHPAD_MAGIC.length) {
    throw new ImportError('truncated', 'the file ends inside its header')
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const version = view.getUint8(MESHPAD_MAGIC.length)
  if (version !== MESHPAD_FORMAT_VERSION) {
    throw new ImportError(
      'unsupported-version',
      `format version ${version}; this Meshpad reads version ${MESHPAD_FORMAT_VERSION}`,
    )
  }
  if (bytes.length < HEADER_BYTES)
    throw new ImportError('truncated', 'the file ends inside its header')
  const metaLength = view.getUint32(MESHPAD_MAGIC.length + 1)
  if (metaLength > MAX_METADATA_BYTES) {
    throw new ImportError('damaged', `a metadata block of ${metaLength} bytes`)
  }
  let at = HEADER_BYTES
  if (bytes.length < at + metaLength + 4) {
    throw new ImportError('truncated', 'the file ends inside its metadata')
  }
  const metadata = parseMetadata(bytes.subarray(at, at + metaLength))
  at += metaLength
  const stateLength = view.getUint32(at)
  at += 4
  if (bytes.length < at + stateLength) {
    throw new ImportError(
      'truncated',
      `the document state is ${stateLength} bytes, the file holds ${bytes.length - at}`,
    )
  }
  if (bytes.length > at + stateLength) {
    throw new ImportError('damaged', `${bytes.length - at - stateLength} bytes after the state`)
  }
  return { version, metadata, state: bytes.slice(at, at + stateLength) }
}
