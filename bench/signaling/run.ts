// Signaling benchmark (`npm run bench:signaling`; not a test, it asserts nothing). In one run on
// this machine, under the same load: our server vs y-webrtc's stock bin/server.js, each in its
// own process, load generators in two more processes, all on loopback.
//   (a) idle connections: memory per connection and the most connections held;
//   (b) publish fan-out at fixed offered rates: delivered messages/s, p50/p99 publish->deliver;
//   (c) the same fan-out through two of our instances joined by a real redis-server.
// Prints markdown tables. Bounded: fixed sizes and durations, every wait has a deadline.
// BENCH_QUICK=1 runs a smaller, shorter version (for checking that it works).
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { startRedis, type RedisProcess } from '../../test/helpers/redis.js'
import { Histogram } from './histogram.js'
import {
  OUR_BENCH_LIMITS,
  startLoadGenerator,
  startFloor,
  startOurs,
  startStock,
  type BenchServer,
  type LoadGenerator,
} from './processes.js'
import type { FanoutResult, FanoutRoom } from './protocol.js'

const quick = process.env['BENCH_QUICK'] === '1'
/** A comma-separated list of numbers from the environment, to run part of the benchmark alone. */
function listFromEnv(name: string, fallback: readonly number[]): readonly number[] {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const values = raw.split(',').map(Number)
  if (values.some((v) => !Number.isFinite(v) || v < 0))
    throw new Error(`${name}: not a list of numbers: ${raw}`)
  return values
}
/** BENCH_PARTS=idle or BENCH_PARTS=fanout runs one half alone; both by default. */
const PARTS = new Set((process.env['BENCH_PARTS'] ?? 'idle,fanout').split(','))
const IDLE_COUNTS = listFromEnv('BENCH_IDLE', quick ? [1_000] : [2_000, 10_000])
/** The last idle step probes for the most connections held, up to what the fd limit allows. */
const IDLE_PROBE = 18_000
const ROOM_SIZES = listFromEnv('BENCH_ROOMS', [2, 8, 32])
const CONNECTIONS_PER_FANOUT = 128 // rooms × room size, the same for every room size
const OFFERED_DELIVERIES = listFromEnv(
  'BENCH_RATES',
  quick ? [10_000] : [20_000, 80_000, 160_000, 320_000],
) // per second
const DURATION_MS = quick ? 2_000 : 3_000
const DRAIN_MS = 2_000
const PAYLOAD_BYTES = 200
const started = Date.now()

const log = (line: string): void => {
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}\n`)
}
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

function openFileLimit(): number {
  const limits = readFileSync('/proc/self/limits', 'utf8')
  const match = /Max open files\s+(\d+)/.exec(limits)
  return match?.[1] === undefined ? Number.NaN : Number(match[1])
}

/** CPU seconds (user + system) a process has used so far (Linux /proc, clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return (Number(fields[11]) + Number(fields[12])) / 100
}

interface IdleRow {
  server: string
  requested: number
  held: number
  failed: number
  rssBefore: number
  rssAfter: number
  openSeconds: number
}

async function idleRun(
  start: () => Promise<BenchServer>,
  generators: readonly LoadGenerator[],
  count: number,
): Promise<IdleRow> {
  const server = await start()
  try {
    await sleep(1_000)
    const rssBefore = server.rss()
    const share = Math.ceil(count / generators.length)
    const openStart = Date.now()
    const results = await Promise.all(
      generators.map((generator, g) =>
        generator.request({
          op: 'idle',
          url: server.url,
          count: Math.min(share, count - g * share),
          concurrency: 64,
          topicPrefix: `idle-${g}-`,
          timeoutMs: 20_000,
        }),
      ),
    )
    const openSeconds = (Date.now() - openStart) / 1000
    await sleep(2_000)
    const rssAfter = server.rss()
    const held = results.reduce((sum, r) => sum + r.held, 0)
    const failed = results.reduce((sum, r) => sum + r.failed, 0)
    const errors = results.flatMap((r) => r.firstErrors)
    log(
      `${server.name}: ${held}/${count} idle connections held${errors.length > 0 ? `; errors: ${errors.join(', ')}` : ''}`,
    )
    return {
      server: server.name,
      requested: count,
      held,
      failed,
      rssBefore,
      rssAfter,
      openSeconds,
    }
  } finally {
    await Promise.all(generators.map((generator) => generator.request({ op: 'closeAll' })))
    await server.stop()
  }
}

interface FanoutRow {
  setup: string
  roomSize: number
  rooms: number
  offeredPublishes: number
  offeredDeliveries: number
  sentPerSec: number
  deliveredPerSec: number
  deliveredShare: number
  duplicates: number
  p50: number
  p99: number
  serverCpu: number
  /** Server CPU time per delivered message, µs: the inverse of its capacity on one core. */
  cpuPerDelivery: number
  generatorCpu: number
}

async function fanoutRun(
  setup: string,
  servers: readonly BenchServer[],
  generators: readonly LoadGenerator[],
  roomSize: number,
  offeredDeliveries: number,
  cpuPids: readonly number[],
): Promise<FanoutRow> {
  const roomCount = CONNECTIONS_PER_FANOUT / roomSize
  const ratePerRoom = offeredDeliveries / CONNECTIONS_PER_FANOUT
  const perGenerator: FanoutRoom[][] = generators.map(() => [])
  for (let r = 0; r < roomCount; r++) {
    // Members alternate between instances; member 0, the publisher, is on the first.
    const subscriberUrls = Array.from(
      { length: roomSize },
      (_, m) => (servers[m % servers.length] as BenchServer).url,
    )
    perGenerator[r % generators.length]?.push({
      topic: `fan-${roomSize}-${offeredDeliveries}-${r}`,
      subscriberUrls,
    })
  }
  try {
    await Promise.all(
      generators.map((g, i) => g.request({ op: 'fanoutSetup', rooms: perGenerator[i] ?? [] })),
    )
    await sleep(300)
    const cpuBefore = cpuPids.map(cpuSeconds)
    const generatorCpuBefore = generators.map((g) => cpuSeconds(g.pid))
    const wallBefore = Date.now()
    const results: FanoutResult[] = await Promise.all(
      generators.map((g) =>
        g.request({
          op: 'fanoutRun',
          ratePerRoom,
          durationMs: DURATION_MS,
          drainMs: DRAIN_MS,
          payloadBytes: PAYLOAD_BYTES,
        }),
      ),
    )
    const wall = (Date.now() - wallBefore) / 1000
    const cpu = cpuPids.reduce((sum, pid, i) => sum + cpuSeconds(pid) - (cpuBefore[i] ?? 0), 0)
    const generatorCpu = generators.reduce(
      (sum, g, i) => sum + cpuSeconds(g.pid) - (generatorCpuBefore[i] ?? 0),
      0,
    )
    const histogram = new Histogram()
    for (const result of results) histogram.merge(result.histogram)
    const delivered = results.reduce((sum, r) => sum + r.delivered, 0)
    const expected = results.reduce((sum, r) => sum + r.expected, 0)
    const sent = results.reduce((sum, r) => sum + r.sent, 0)
    // Each generator measures on its own clock; they start together, so the longest span
    // from first publish to last delivery is the run's span.
    const span =
      Math.max(
        ...results.map(
          (r) => Math.max(r.lastDeliverAt, r.firstSendAt + r.sendWindowMs) - r.firstSendAt,
        ),
      ) / 1000
    const sendWindow = Math.max(...results.map((r) => r.sendWindowMs)) / 1000
    const row: FanoutRow = {
      setup,
      roomSize,
      rooms: roomCount,
      offeredPublishes: ratePerRoom * roomCount,
      offeredDeliveries,
      sentPerSec: sent / sendWindow,
      deliveredPerSec: delivered / span,
      deliveredShare: expected === 0 ? 0 : delivered / expected,
      duplicates: results.reduce((sum, r) => sum + r.duplicates, 0),
      p50: histogram.percentile(0.5),
      p99: histogram.percentile(0.99),
      serverCpu: cpu / wall,
      cpuPerDelivery: delivered === 0 ? Number.NaN : (cpu * 1e6) / delivered,
      generatorCpu: generatorCpu / wall,
    }
    log(
      `${setup} k=${roomSize} offered ${offeredDeliveries}/s: delivered ${row.deliveredPerSec.toFixed(0)}/s (${(row.deliveredShare * 100).toFixed(1)}%), p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms`,
    )
    return row
  } finally {
    await Promise.all(generators.map((g) => g.request({ op: 'closeAll' })))
  }
}

interface Setup {
  readonly name: string
  readonly servers: readonly BenchServer[]
  /** Processes whose CPU the row reports: the servers, and Redis where it is used. */
  readonly cpuPids: readonly number[]
}

/**
 * Every load point runs on every setup back to back (stock, ours, ours ×2), so that whatever else
 * the machine is doing at that moment weighs on all of them alike.
 */
async function fanoutAll(
  setups: readonly Setup[],
  generators: readonly LoadGenerator[],
): Promise<FanoutRow[]> {
  // Warm-up, not reported: JIT, first allocations, Redis subscriptions of a fresh instance.
  for (const setup of setups) {
    await fanoutRun(`${setup.name} (warm-up)`, setup.servers, generators, 8, 10_000, [])
  }
  const rows: FanoutRow[] = []
  for (const roomSize of ROOM_SIZES) {
    for (const offered of OFFERED_DELIVERIES) {
      for (const setup of setups) {
        rows.push(
          await fanoutRun(setup.name, setup.servers, generators, roomSize, offered, setup.cpuPids),
        )
      }
    }
  }
  return rows
}

const kib = (bytes: number): string => (bytes / 1024).toFixed(1)
const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1)
const ms = (value: number): string => (Number.isNaN(value) ? 'n/a' : value.toFixed(2))
const int = (value: number): string => Math.round(value).toLocaleString('en-US')

function printTables(
  idle: IdleRow[],
  fanout: FanoutRow[],
  limit: number,
  loadAtStart: readonly number[],
): void {
  const cpu = os.cpus()
  const out: string[] = []
  out.push(`### Signaling benchmark (${new Date().toISOString().slice(0, 10)})`, '')
  out.push(
    `Machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${mib(os.totalmem())} MiB RAM, Node ${process.version}, ` +
      `open-file limit ${limit}. Servers, load generators (2 processes) and Redis share these cores, ` +
      'so every figure includes contention with the load generators. ' +
      `Load average (1/5/15 min) at start ${loadAtStart.map((l) => l.toFixed(1)).join('/')}, at end ` +
      `${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join('/')}: other work on the machine competes too. ` +
      'CPU columns: share of one core over the run (100% = one core busy).',
    '',
    `Our server ran with limits raised for the benchmark (all load comes from 127.0.0.1): ` +
      Object.entries(OUR_BENCH_LIMITS)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ') +
      '. The stock server has no limits.',
    '',
  )
  out.push('#### Idle connections (each subscribed to one topic, rooms of two)', '')
  out.push(
    '| server | requested | held | failed | RSS before (MiB) | RSS after (MiB) | KiB per connection | time to open (s) |',
  )
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|')
  for (const row of idle) {
    const per = row.held === 0 ? Number.NaN : (row.rssAfter - row.rssBefore) / row.held
    out.push(
      `| ${row.server} | ${int(row.requested)} | ${int(row.held)} | ${int(row.failed)} | ${mib(row.rssBefore)} | ${mib(row.rssAfter)} | ${kib(per)} | ${row.openSeconds.toFixed(1)} |`,
    )
  }
  out.push(
    '',
    `#### Publish fan-out (${CONNECTIONS_PER_FANOUT} connections per run, ${PAYLOAD_BYTES}-byte frames, ${DURATION_MS / 1000} s at a fixed offered rate + up to ${DRAIN_MS / 1000} s drain; the publisher is subscribed too)`,
    '',
  )
  out.push(
    '| setup | room size | rooms | offered publishes/s | offered deliveries/s | sent/s | delivered msg/s | delivered % | dupes | p50 ms | p99 ms | server CPU (+ Redis) | server CPU µs per delivery | generators CPU |',
  )
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
  for (const row of fanout) {
    out.push(
      `| ${row.setup} | ${row.roomSize} | ${row.rooms} | ${int(row.offeredPublishes)} | ${int(row.offeredDeliveries)} | ${int(row.sentPerSec)} | ${int(row.deliveredPerSec)} | ${(row.deliveredShare * 100).toFixed(1)} | ${row.duplicates} | ${ms(row.p50)} | ${ms(row.p99)} | ${(row.serverCpu * 100).toFixed(0)}% | ${row.cpuPerDelivery.toFixed(2)} | ${(row.generatorCpu * 100).toFixed(0)}% |`,
    )
  }
  process.stdout.write(`${out.join('\n')}\n`)
}

async function main(): Promise<void> {
  const limit = openFileLimit()
  const largest = Math.max(...IDLE_COUNTS)
  // Node cannot raise its own limit (there is no process.setrlimit): run `ulimit -n 20000` in
  // the shell first if this is too low. The server needs one descriptor per connection.
  if (!(limit > largest + 1_000)) {
    throw new Error(
      `open-file limit ${limit} is too low for ${largest} connections: run \`ulimit -n ${largest * 2}\` first`,
    )
  }
  const loadAtStart = os.loadavg()
  log(`open-file limit ${limit}; ${quick ? 'quick run' : 'full run'}`)
  const generators = await Promise.all([startLoadGenerator(), startLoadGenerator()])
  let redis: RedisProcess | null = null
  const servers: BenchServer[] = []
  try {
    const idle: IdleRow[] = []
    // Keep 1,500 descriptors for everything else; both ends of a loopback connection count.
    const probe = Math.min(IDLE_PROBE, limit - 1_500)
    const counts = quick || probe <= largest ? IDLE_COUNTS : [...IDLE_COUNTS, probe]
    for (const count of PARTS.has('idle') ? counts : []) {
      idle.push(await idleRun(startStock, generators, count))
      idle.push(await idleRun(() => startOurs(), generators, count))
      idle.push(await idleRun(() => startFloor('ws'), generators, count))
      idle.push(await idleRun(() => startFloor('tcp'), generators, count))
    }
    if (!PARTS.has('fanout')) return printTables(idle, [], limit, loadAtStart)
    redis = await startRedis()
    // Redis's own warnings (a subscriber cut off for its output buffer, say) belong in the log.
    redis.child.stdout?.on('data', (chunk: string) => log(`redis: ${chunk.trim()}`))
    const redisUrl = redis.url
    const [stock, ours, one, two] = await Promise.all([
      startStock(),
      startOurs(),
      startOurs({ REDIS_URL: redisUrl }),
      startOurs({ REDIS_URL: redisUrl }),
    ])
    servers.push(stock, ours, one, two)
    const fanout = await fanoutAll(
      [
        { name: 'y-webrtc stock', servers: [stock], cpuPids: [stock.pid] },
        { name: 'meshpad', servers: [ours], cpuPids: [ours.pid] },
        {
          name: 'meshpad ×2 + Redis',
          servers: [one, two],
          cpuPids: [one.pid, two.pid, redis.child.pid ?? -1],
        },
      ],
      generators,
    )
    printTables(idle, fanout, limit, loadAtStart)
    log('done')
  } finally {
    await Promise.all([...generators, ...servers].map((child) => child.stop()))
    await redis?.stop()
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bench:signaling failed: ${error instanceof Error ? error.stack : String(error)}\n`,
    )
    process.exit(1)
  },
)
