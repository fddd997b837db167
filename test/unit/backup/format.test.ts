import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import {
  BackupError,
  decodeBackup,
  encodeBackup,
  isEncryptedBackup,
  MAX_BACKUP_BYTES,
  type BackupEntry,
  type BackupErrorReason,
} from '../../../src/backup/format'
import { newDocAddress } from '../../../src/share/link'

// The `.meshpad-backup` format: what goes in comes out, and every way a file can be wrong is
// refused with its reason from the closed set.

const REASONS: readonly BackupErrorReason[] = [
  'not-a-backup',
  'unsupported-version',
  'truncated',
  'damaged',
  'too-large',
  'passphrase-required',
  'wrong-passphrase',
]

function stateWith(text: string): Uint8Array {
  const doc = new Y.Doc()
  doc.getText('body').insert(0, text)
  return Y.encodeStateAsUpdateV2(doc)
}

function textOf(state: Uint8Array): string {
  const doc = new Y.Doc()
  Y.applyUpdateV2(doc, state)
  return doc.getText('body').toString()
}

const entries: BackupEntry[] = [
  {
    ...newDocAddress(),
    title: 'Quarterly report',
    createdAt: 1_700_000_000_000,
    openedAt: 1_700_000_100_000,
    state: stateWith('Revenue grew.'),
  },
  {
    ...newDocAddress(),
    title: 'Notes',
    customTitle: 'My notes – ünïcödé ✓',
    createdAt: 1,
    openedAt: 2,
    state: stateWith(''),
  },
]

async function refusal(promise: Promise<unknown>): Promise<BackupErrorReason> {
  try {
    await promise
  } catch (error) {
    if (error instanceof BackupError) return error.reason
    throw error
  }
  throw new Error('the file was accepted')
}

/** Recomputes the checksum after a deliberate edit, so the check behind it is reached. */
function reseal(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice()
  out.set(sha256(out.subarray(0, out.length - 32)), out.length - 32)
  return out
}

function contains(haystack: Uint8Array, needle: string): boolean {
  return Buffer.from(haystack).includes(Buffer.from(needle, 'utf8'))
}

describe('backup file format', () => {
  it('[BACKUP-2] round trip without a passphrase: links, titles, renamed flag, times, states', async () => {
    const file = await encodeBackup(entries)
    expect(isEncryptedBackup(file)).toBe(false)
    expect(new TextDecoder().decode(file.subarray(0, 8))).toBe('MPBACKUP')
    const back = await decodeBackup(file)
    expect(back).toEqual(entries)
    expect(back[1]).toHaveProperty('customTitle', 'My notes – ünïcödé ✓')
    expect(back[0]).not.toHaveProperty('customTitle')
    expect(textOf(back[0]!.state)).toContain('Revenue grew.')
    // A passphrase given for a file that has none changes nothing.
    expect(await decodeBackup(file, { passphrase: 'unused' })).toEqual(entries)
    expect(await decodeBackup(await encodeBackup([]))).toEqual([])
  })

  it('[BACKUP-3] round trip with a passphrase; nothing readable is left in the file', async () => {
    const file = await encodeBackup(entries, { passphrase: 'correct horse battery staple' })
    expect(isEncryptedBackup(file)).toBe(true)
    for (const entry of entries) {
      expect(contains(file, entry.secret)).toBe(false)
      expect(contains(file, entry.docId)).toBe(false)
      expect(contains(file, entry.title)).toBe(false)
    }
    expect(contains(file, 'Revenue grew.')).toBe(false)
    const plain = await encodeBackup(entries)
    expect(contains(plain, entries[0]!.secret)).toBe(true)
    const back = await decodeBackup(file, { passphrase: 'correct horse battery staple' })
    expect(back).toEqual(entries)
  })

  it('[BACKUP-3] a passphrase typed in another Unicode normalisation opens the file', async () => {
    const file = await encodeBackup(entries.slice(0, 1), { passphrase: 'caf\u00e9' })
    expect(await decodeBackup(file, { passphrase: 'cafe\u0301' })).toEqual(entries.slice(0, 1))
  })

  it('[BACKUP-6] a wrong or missing passphrase is refused with its reason', async () => {
    const file = await encodeBackup(entries, { passphrase: 'right one' })
    expect(await refusal(decodeBackup(file, { passphrase: 'wrong one' }))).toBe('wrong-passphrase')
    expect(await refusal(decodeBackup(file))).toBe('passphrase-required')
    expect(await refusal(decodeBackup(file, { passphrase: '' }))).toBe('passphrase-required')
  })

  it('[BACKUP-6] every truncation is refused as truncated, with and without a passphrase', async () => {
    for (const passphrase of ['', 'pw']) {
      const file = await encodeBackup(entries, { passphrase })
      for (let length = 0; length < file.length; length++) {
        const reason = await refusal(decodeBackup(file.subarray(0, length), { passphrase }))
        expect(reason, `cut to ${length} of ${file.length} bytes`).toBe('truncated')
      }
    }
  })

  it('[BACKUP-6] every flipped byte is refused with a reason, never read as another backup', async () => {
    for (const passphrase of ['', 'pw']) {
      const file = await encodeBackup(entries, { passphrase })
      const seen = new Set<BackupErrorReason>()
      for (let index = 0; index < file.length; index++) {
        for (const mask of [0x01, 0x80]) {
          const flipped = file.slice()
          flipped[index] = (flipped[index] ?? 0) ^ mask
          const reason = await refusal(decodeBackup(flipped, { passphrase }))
          expect(REASONS).toContain(reason)
          seen.add(reason)
          if (index >= 14) expect(reason, `byte ${index} ^ ${mask}`).toBe('damaged')
        }
      }
      expect([...seen].sort()).toEqual(
        ['damaged', 'not-a-backup', 'truncated', 'unsupported-version'].sort(),
      )
    }
  })

  it('[BACKUP-6] altered ciphertext behind a recomputed checksum fails authentication', async () => {
    const file = await encodeBackup(entries, { passphrase: 'pw' })
    const tampered = file.slice()
    const at = file.length - 32 - 20 // inside the ciphertext
    tampered[at] = (tampered[at] ?? 0) ^ 1
    expect(await refusal(decodeBackup(reseal(tampered), { passphrase: 'pw' }))).toBe('damaged')
  })

  it('[BACKUP-6] malformed content behind a valid checksum is refused as damaged', async () => {
    const file = await encodeBackup(entries.slice(0, 1))
    // The payload starts at byte 14 with the entry count; claim two entries where there is one.
    const more = file.slice()
    more[14] = 2
    expect(await refusal(decodeBackup(reseal(more)))).toBe('damaged')
    // A document id that is not one (its first character, after the count and its length).
    const badId = file.slice()
    badId[16] = '!'.charCodeAt(0)
    expect(await refusal(decodeBackup(reseal(badId)))).toBe('damaged')
  })

  it('[BACKUP-6] another format version or unknown flags are refused as unsupported', async () => {
    const file = await encodeBackup(entries)
    const v2 = file.slice()
    v2[8] = 2
    expect(await refusal(decodeBackup(reseal(v2)))).toBe('unsupported-version')
    const v0 = file.slice()
    v0[8] = 0
    expect(await refusal(decodeBackup(v0))).toBe('unsupported-version')
    const flags = file.slice()
    flags[9] = 0b10
    expect(await refusal(decodeBackup(reseal(flags)))).toBe('unsupported-version')
  })

  it('[BACKUP-6] files that are not backups are refused as such', async () => {
    expect(await refusal(decodeBackup(new TextEncoder().encode('hello, world')))).toBe(
      'not-a-backup',
    )
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0])
    expect(await refusal(decodeBackup(png))).toBe('not-a-backup')
  })

  it('[BACKUP-6] over 200 MB is refused when reading and when writing', async () => {
    expect(MAX_BACKUP_BYTES).toBe(200 * 1024 * 1024)
    const huge = new Uint8Array(MAX_BACKUP_BYTES + 1)
    huge.set(new TextEncoder().encode('MPBACKUP'))
    huge[8] = 1
    expect(await refusal(decodeBackup(huge))).toBe('too-large')
    const file = await encodeBackup(entries)
    expect(await refusal(decodeBackup(file, { maxBytes: file.length - 1 }))).toBe('too-large')
    expect(await decodeBackup(file, { maxBytes: file.length })).toEqual(entries)
    expect(await refusal(encodeBackup(entries, { maxBytes: file.length - 1 }))).toBe('too-large')
  })
})
