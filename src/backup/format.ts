import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { scryptAsync } from '@noble/hashes/scrypt.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { randomBytes } from '@noble/hashes/utils.js'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import type { CatalogEntry } from '../doc/catalog'
import { isDocId, isDocSecret } from '../share/ids'

// The `.meshpad-backup` file (rules BACKUP-1..6): every document this browser knows, with its
// link, its titles and its whole Yjs state, in one file, optionally encrypted with a passphrase.
// Pure: no DOM, no storage. Reading never trusts the file: every way it can be wrong ends in a
// BackupError whose reason comes from one closed set, before anything is written anywhere.
//
//   file    = header · body · SHA-256(header · body)
//   header  = "MPBACKUP" · u8 version (1) · u8 flags (bit 0: encrypted) · u32 BE file length
//   body    = payload                                              (flags bit 0 clear)
//           | salt (16) · check (16) · nonce (24) · XChaCha20-Poly1305(payload)   (set)
//   payload = varuint count · count × entry        (lib0 encoding, nothing after the last)
//   entry   = varstring docId · varstring secret · varstring title · u8 entry flags (bit 0:
//             renamed) · [varstring customTitle, when renamed] · varuint createdAt ·
//             varuint openedAt · varbytes state (Yjs V2 update of the whole document)
//
// Encrypted: scrypt(NFC(passphrase), salt, N=2^15, r=8, p=1) gives 48 bytes: the first 32 are
// the key, the last 16 are `check`, stored in the clear so that a wrong passphrase is told apart
// from a damaged file (it says nothing the ciphertext would not: both let an attacker test a
// guess at the cost of one scrypt). The AEAD's associated data is header · salt · check · nonce.
// The checksum catches truncation and flipped bytes before any key is derived.

export const BACKUP_MAGIC = 'MPBACKUP'
export const BACKUP_VERSION = 1
export const BACKUP_EXTENSION = '.meshpad-backup'
/** Larger files are refused, when writing and when reading. */
export const MAX_BACKUP_BYTES = 200 * 1024 * 1024

const FLAG_ENCRYPTED = 1
const ENTRY_RENAMED = 1
const HEADER_BYTES = 8 + 1 + 1 + 4
const CHECKSUM_BYTES = 32
const SALT_BYTES = 16
const CHECK_BYTES = 16
const NONCE_BYTES = 24
const TAG_BYTES = 16
const MAX_TITLE = 200
/**
 * scrypt cost: 32 MiB of memory; 0.36 s in headless Chromium on this project's 2-core test
 * machine under heavy load (0.5-0.9 s in Node 20 there). Fixed by the version, never read from
 * the file, so a crafted file cannot make the browser spend minutes or gigabytes.
 */
export const SCRYPT_PARAMS = { N: 2 ** 15, r: 8, p: 1, dkLen: 48 } as const

/** One document in a backup: its catalog entry (link, titles, times) and its whole state. */
export interface BackupEntry extends CatalogEntry {
  /** `Y.encodeStateAsUpdateV2(doc)`. */
  readonly state: Uint8Array
}

/** Why a backup file was refused (closed set; the UI has one message for each). */
export type BackupErrorReason =
  | 'not-a-backup' // does not start with MPBACKUP
  | 'unsupported-version' // another format version, or flags this version does not know
  | 'truncated' // shorter than its header says: cut off while copying or downloading
  | 'damaged' // bytes changed: checksum, authentication or structure does not hold
  | 'too-large' // over MAX_BACKUP_BYTES
  | 'passphrase-required' // encrypted, and no passphrase was given
  | 'wrong-passphrase' // encrypted with another passphrase

export class BackupError extends Error {
  constructor(
    readonly reason: BackupErrorReason,
    detail: string,
  ) {
    super(`${reason}: ${detail}`)
    this.name = 'BackupError'
  }
}

export interface EncodeOptions {
  /** Encrypts the file when non-empty. */
  readonly passphrase?: string
  readonly maxBytes?: number
}

export interface DecodeOptions {
  readonly passphrase?: string
  readonly maxBytes?: number
}

// SHA-256 is noble's, not WebCrypto's: it also works outside secure contexts (plain http on a LAN).
const utf8 = new TextEncoder()
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0)
  return diff === 0
}

async function deriveKey(
  passphrase: string,
  salt: Uint8Array,
): Promise<{ key: Uint8Array; check: Uint8Array }> {
  const derived = await scryptAsync(passphrase.normalize('NFC'), salt, SCRYPT_PARAMS)
  return { key: derived.subarray(0, 32), check: derived.subarray(32, 48) }
}

function encodePayload(entries: readonly BackupEntry[]): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, entries.length)
  for (const entry of entries) {
    encoding.writeVarString(encoder, entry.docId)
    encoding.writeVarString(encoder, entry.secret)
    encoding.writeVarString(encoder, entry.title)
    const renamed = entry.customTitle !== undefined
    encoding.writeUint8(encoder, renamed ? ENTRY_RENAMED : 0)
    if (renamed) encoding.writeVarString(encoder, entry.customTitle ?? '')
    encoding.writeVarUint(encoder, Math.max(0, Math.floor(entry.createdAt)))
    encoding.writeVarUint(encoder, Math.max(0, Math.floor(entry.openedAt)))
    encoding.writeVarUint8Array(encoder, entry.state)
  }
  return encoding.toUint8Array(encoder)
}

function header(flags: number, length: number): Uint8Array {
  const bytes = new Uint8Array(HEADER_BYTES)
  bytes.set(utf8.encode(BACKUP_MAGIC), 0)
  bytes[8] = BACKUP_VERSION
  bytes[9] = flags
  new DataView(bytes.buffer).setUint32(10, length, false)
  return bytes
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/** Writes a backup of `entries`; encrypted when `passphrase` is non-empty. */
export async function encodeBackup(
  entries: readonly BackupEntry[],
  options: EncodeOptions = {},
): Promise<Uint8Array> {
  const maxBytes = options.maxBytes ?? MAX_BACKUP_BYTES
  const payload = encodePayload(entries)
  const passphrase = options.passphrase ?? ''
  const encrypted = passphrase !== ''
  const bodyBytes = encrypted
    ? SALT_BYTES + CHECK_BYTES + NONCE_BYTES + payload.length + TAG_BYTES
    : payload.length
  const length = HEADER_BYTES + bodyBytes + CHECKSUM_BYTES
  if (length > maxBytes) {
    throw new BackupError('too-large', `the backup would be ${length} bytes (limit ${maxBytes})`)
  }
  const head = header(encrypted ? FLAG_ENCRYPTED : 0, length)
  let body: Uint8Array
  if (encrypted) {
    const salt = randomBytes(SALT_BYTES)
    const nonce = randomBytes(NONCE_BYTES)
    const { key, check } = await deriveKey(passphrase, salt)
    const aad = concat([head, salt, check, nonce])
    body = concat([salt, check, nonce, xchacha20poly1305(key, nonce, aad).encrypt(payload)])
  } else {
    body = payload
  }
  const signed = concat([head, body])
  return concat([signed, sha256(signed)])
}

/** True when the file is a backup whose header says it is encrypted (the UI asks first). */
export function isEncryptedBackup(bytes: Uint8Array): boolean {
  return (
    bytes.length >= HEADER_BYTES &&
    equalBytes(bytes.subarray(0, 8), utf8.encode(BACKUP_MAGIC)) &&
    ((bytes[9] ?? 0) & FLAG_ENCRYPTED) !== 0
  )
}

function readBytes(decoder: decoding.Decoder): Uint8Array {
  const length = decoding.readVarUint(decoder)
  if (length > decoder.arr.length - decoder.pos) throw new Error('length past the end')
  const bytes = decoder.arr.slice(decoder.pos, decoder.pos + length)
  decoder.pos += length
  return bytes
}

function readU8(decoder: decoding.Decoder): number {
  if (!decoding.hasContent(decoder)) throw new Error('unexpected end')
  return decoding.readUint8(decoder)
}

function readString(decoder: decoding.Decoder): string {
  return strictUtf8.decode(readBytes(decoder))
}

function readTitle(decoder: decoding.Decoder): string {
  const title = readString(decoder)
  if (title.length > MAX_TITLE) throw new Error('title too long')
  return title
}

function decodePayload(payload: Uint8Array): BackupEntry[] {
  const decoder = decoding.createDecoder(payload)
  const count = decoding.readVarUint(decoder)
  const entries: BackupEntry[] = []
  const seen = new Set<string>()
  for (let i = 0; i < count; i++) {
    const docId = readString(decoder)
    const secret = readString(decoder)
    if (!isDocId(docId)) throw new Error(`entry ${i}: malformed document id`)
    if (!isDocSecret(secret)) throw new Error(`entry ${i}: malformed secret`)
    if (seen.has(docId)) throw new Error(`entry ${i}: document listed twice`)
    seen.add(docId)
    const title = readTitle(decoder)
    const flags = readU8(decoder)
    if ((flags & ~ENTRY_RENAMED) !== 0) throw new Error(`entry ${i}: unknown flags`)
    const customTitle = (flags & ENTRY_RENAMED) !== 0 ? readTitle(decoder) : undefined
    const createdAt = decoding.readVarUint(decoder)
    const openedAt = decoding.readVarUint(decoder)
    const state = readBytes(decoder)
    entries.push({
      docId,
      secret,
      title,
      ...(customTitle !== undefined ? { customTitle } : {}),
      createdAt,
      openedAt,
      state,
    })
  }
  if (decoding.hasContent(decoder)) throw new Error('bytes after the last entry')
  return entries
}

/**
 * Reads a backup. Throws BackupError (reason from the closed set) for anything but an intact
 * file of this version, opened with the right passphrase when it is encrypted.
 */
export async function decodeBackup(
  bytes: Uint8Array,
  options: DecodeOptions = {},
): Promise<BackupEntry[]> {
  const maxBytes = options.maxBytes ?? MAX_BACKUP_BYTES
  const magic = utf8.encode(BACKUP_MAGIC)
  const prefix = bytes.subarray(0, Math.min(bytes.length, magic.length))
  if (!equalBytes(prefix, magic.subarray(0, prefix.length))) {
    throw new BackupError('not-a-backup', 'the file does not start with MPBACKUP')
  }
  if (bytes.length > maxBytes) {
    throw new BackupError('too-large', `the file is ${bytes.length} bytes (limit ${maxBytes})`)
  }
  if (bytes.length > magic.length && bytes[8] !== BACKUP_VERSION) {
    throw new BackupError('unsupported-version', `format version ${String(bytes[8])}`)
  }
  if (bytes.length < HEADER_BYTES) {
    throw new BackupError('truncated', `only ${bytes.length} bytes`)
  }
  const declared = new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getUint32(10, false)
  if (bytes.length < declared) {
    throw new BackupError('truncated', `${bytes.length} of ${declared} bytes`)
  }
  if (bytes.length > declared || declared < HEADER_BYTES + CHECKSUM_BYTES) {
    throw new BackupError('damaged', `${bytes.length} bytes where the header says ${declared}`)
  }
  const signed = bytes.subarray(0, declared - CHECKSUM_BYTES)
  if (!equalBytes(sha256(signed), bytes.subarray(declared - CHECKSUM_BYTES))) {
    throw new BackupError('damaged', 'the checksum does not match')
  }
  const flags = bytes[9] ?? 0
  if ((flags & ~FLAG_ENCRYPTED) !== 0) {
    throw new BackupError('unsupported-version', `unknown flags ${flags}`)
  }
  let payload = signed.subarray(HEADER_BYTES)
  if ((flags & FLAG_ENCRYPTED) !== 0) {
    const minimum = SALT_BYTES + CHECK_BYTES + NONCE_BYTES + TAG_BYTES
    if (payload.length < minimum) throw new BackupError('damaged', 'encrypted body too short')
    const passphrase = options.passphrase ?? ''
    if (passphrase === '') {
      throw new BackupError('passphrase-required', 'the backup is encrypted')
    }
    const salt = payload.subarray(0, SALT_BYTES)
    const check = payload.subarray(SALT_BYTES, SALT_BYTES + CHECK_BYTES)
    const nonce = payload.subarray(SALT_BYTES + CHECK_BYTES, SALT_BYTES + CHECK_BYTES + NONCE_BYTES)
    const ciphertext = payload.subarray(SALT_BYTES + CHECK_BYTES + NONCE_BYTES)
    const derived = await deriveKey(passphrase, salt)
    if (!equalBytes(derived.check, check)) {
      throw new BackupError('wrong-passphrase', 'the passphrase does not open this backup')
    }
    const aad = signed.subarray(0, HEADER_BYTES + SALT_BYTES + CHECK_BYTES + NONCE_BYTES)
    try {
      payload = xchacha20poly1305(derived.key, nonce, aad).decrypt(ciphertext)
    } catch {
      throw new BackupError('damaged', 'the encrypted content does not authenticate')
    }
  }
  try {
    return decodePayload(payload)
  } catch (error) {
    throw new BackupError('damaged', error instanceof Error ? error.message : 'unreadable')
  }
}
