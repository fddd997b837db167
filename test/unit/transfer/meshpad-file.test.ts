import { describe, expect, it } from 'vitest'
import { ImportError } from '../../../src/transfer/problems'
import {
  decodeMeshpadFile,
  encodeMeshpadFile,
  MESHPAD_MAGIC,
} from '../../../src/transfer/meshpad-file'

// The `.meshpad` header (rule XFER-4): magic, version, lengths; refusals with their reason.

const metadata = { title: 'Notes', exportedAt: '2026-01-02T03:04:05.000Z' }
const state = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])

function reasonOf(bytes: Uint8Array): string {
  try {
    decodeMeshpadFile(bytes)
  } catch (error) {
    if (error instanceof ImportError) return error.reason
    throw error
  }
  return 'accepted'
}

describe('.meshpad file', () => {
  it('[XFER-4] starts with "MESHPAD\\0" and format version 1, then metadata and state', () => {
    const file = encodeMeshpadFile(metadata, state)
    expect([...file.subarray(0, 8)]).toEqual([...new TextEncoder().encode('MESHPAD\0')])
    expect([...MESHPAD_MAGIC]).toEqual([...file.subarray(0, 8)])
    expect(file[8]).toBe(1)
    const decoded = decodeMeshpadFile(file)
    expect(decoded).toEqual({ version: 1, metadata, state })
  })

  it('[XFER-4] refuses a version it does not read', () => {
    for (const version of [0, 2, 255]) {
      const file = encodeMeshpadFile(metadata, state)
      file[8] = version
      expect(reasonOf(file)).toBe('unsupported-version')
    }
  })

  it('[XFER-4] refuses the file cut at every length as truncated', () => {
    const file = encodeMeshpadFile(metadata, state)
    const reasons = new Set<string>()
    for (let length = 1; length < file.length; length++) {
      const reason = reasonOf(file.subarray(0, length))
      expect(reason, `cut at ${length} of ${file.length}`).toBe('truncated')
      reasons.add(reason)
    }
    expect([...reasons]).toEqual(['truncated'])
  })

  it('[XFER-4] refuses other files, trailing bytes and unreadable metadata', () => {
    expect(reasonOf(new TextEncoder().encode('# just markdown'))).toBe('not-a-meshpad-file')
    expect(reasonOf(new TextEncoder().encode('MESHPAX\0\u0001'))).toBe('not-a-meshpad-file')
    const file = encodeMeshpadFile(metadata, state)
    const longer = new Uint8Array(file.length + 1)
    longer.set(file)
    expect(reasonOf(longer)).toBe('damaged')
    const garbled = file.slice()
    garbled[13] = 0x7b + 1 // the metadata's opening brace
    expect(reasonOf(garbled)).toBe('damaged')
    const huge = file.slice()
    new DataView(huge.buffer).setUint32(9, 0xffffffff)
    expect(reasonOf(huge)).toBe('damaged')
  })
})
