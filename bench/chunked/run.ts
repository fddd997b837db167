// Throughput of the chunked transport against a raw data channel, both over two real
// @roamhq/wrtc peer connections in this process. Printed table, never a timed assertion.
//
//   npx tsx bench/chunked/run.ts [--reps 5] [--sizes 1,20]   (sizes in MB)
//
// Baseline, measured in the same run: the raw channel sending the same bytes in 16 KiB pieces,
// kept under the same 1 MiB buffered high-water mark and re-checked every 1 ms (a raw channel
// cannot take one message over 256 KiB at all; @roamhq/wrtc silently drops sends past 16 MiB
// buffered, so the baseline needs flow control too). The chunked rows add framing, reassembly
// into one message, and copy-on-send.
import os from 'node:os'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { chunkingWrtc, type ChunkingOptions } from '../../src/sync/chunked'
import { openChannelPair, realWrtc, withTimeout, type ChannelLike } from './wrtc-pair'

const PIECE = 16 * 1024
const HIGH_WATER_MARK = 1024 * 1024
const MB = 1024 * 1024

// Strict: a mistyped flag stops the run instead of measuring the defaults under another name.
const { values: flags } = parseArgs({
  options: { reps: { type: 'string', default: '5' }, sizes: { type: 'string', default: '1,20' } },
})
const reps = Number(flags.reps)
const sizesMb = flags.sizes.split(',').map(Number)
if (!Number.isInteger(reps) || reps < 1 || !sizesMb.every((mb) => mb > 0)) {
  throw new Error('usage: bench/chunked/run.ts [--reps <n ≥ 1>] [--sizes <MB>,<MB>...]')
}

/** Sends `bytes` over a raw channel in 16 KiB pieces; resolves when all arrived at `to`. */
async function rawTransfer(from: ChannelLike, to: ChannelLike, bytes: Uint8Array): Promise<void> {
  let received = 0
  const done = new Promise<void>((resolve) => {
    to.onmessage = (event) => {
      received += (event.data as ArrayBuffer).byteLength
      if (received >= bytes.byteLength) resolve()
    }
  })
  for (let offset = 0; offset < bytes.byteLength;) {
    if (from.bufferedAmount + PIECE > HIGH_WATER_MARK) {
      await new Promise((resolve) => setTimeout(resolve, 1))
      continue
    }
    from.send(bytes.subarray(offset, offset + PIECE))
    offset += PIECE
  }
  await done
}

/** Sends `bytes` as one message over a chunked channel; resolves when it arrived whole. */
async function chunkedTransfer(
  from: ChannelLike,
  to: ChannelLike,
  bytes: Uint8Array,
): Promise<void> {
  const done = new Promise<void>((resolve, reject) => {
    to.onmessage = (event) => {
      const length = (event.data as ArrayBuffer).byteLength
      if (length === bytes.byteLength) resolve()
      else reject(new Error(`got ${length} bytes, sent ${bytes.byteLength}`))
    }
  })
  from.send(bytes)
  await done
}

interface Variant {
  readonly name: string
  readonly options: ChunkingOptions | null
}

const variants: Variant[] = [
  { name: 'raw channel, 16 KiB pieces (baseline)', options: null },
  { name: 'chunked, defaults (poll 5 ms)', options: {} },
  { name: 'chunked, pollIntervalMs 1', options: { pollIntervalMs: 1 } },
  { name: 'chunked, highWaterMark 4 MiB', options: { highWaterMark: 4 * MB } },
]

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? NaN
}

interface Open {
  readonly variant: Variant
  readonly pair: Awaited<ReturnType<typeof openChannelPair>>
  readonly transfer: typeof rawTransfer
}

/** All variants stay open and take turns within each repetition, so a machine whose load
 * drifts during the run (other tests on the same 2 cores) skews every variant alike. */
async function measureAll(bytes: Uint8Array): Promise<Map<Variant, number>> {
  const open: Open[] = []
  try {
    for (const variant of variants) {
      const base = variant.options === null ? realWrtc : chunkingWrtc(realWrtc, variant.options)
      const transfer = variant.options === null ? rawTransfer : chunkedTransfer
      const pair = await openChannelPair(base)
      open.push({ variant, pair, transfer })
      await withTimeout(transfer(pair.a, pair.b, new Uint8Array(64 * 1024)), 30_000, 'warm-up')
    }
    const rates = new Map<Variant, number[]>(variants.map((v) => [v, []]))
    for (let r = 0; r < reps; r++) {
      for (const { variant, pair, transfer } of open) {
        const start = performance.now()
        await withTimeout(transfer(pair.a, pair.b, bytes), 120_000, `${variant.name} transfer`)
        rates.get(variant)?.push(bytes.byteLength / MB / ((performance.now() - start) / 1000))
      }
    }
    return new Map([...rates].map(([variant, list]) => [variant, median(list)]))
  } finally {
    for (const { pair } of open) pair.close()
  }
}

async function main(): Promise<void> {
  const cpus = os.cpus()
  console.log('Chunked transport throughput (two @roamhq/wrtc peers in one process)')
  console.log(
    `node ${process.version}, ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ` +
      `load ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}, median of ${reps} runs\n`,
  )
  const rows: string[][] = [['size', 'transport', 'MB/s', 'ratio to raw']]
  for (const sizeMb of sizesMb) {
    const bytes = new Uint8Array(sizeMb * MB).map((_, i) => (i * 31) & 0xff)
    const rates = await measureAll(bytes)
    const raw = rates.get(variants[0]!) ?? NaN
    for (const variant of variants) {
      const rate = rates.get(variant) ?? NaN
      rows.push([`${sizeMb} MB`, variant.name, rate.toFixed(1), (rate / raw).toFixed(2)])
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)))
  for (const [i, row] of rows.entries()) {
    console.log(
      row
        .map((cell, c) => (c >= 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
        .join('  '),
    )
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
