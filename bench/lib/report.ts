import { execFileSync } from 'node:child_process'
import os from 'node:os'
import { pathToFileURL } from 'node:url'

// One row of the summary table printed by bench/run.ts: a measured value next to the baseline
// measured in the same run, their ratio, the target and whether it was met. Figures never
// assert: a missed target is printed as missed, with a note saying why where known.

export interface Row {
  readonly id: string
  readonly what: string
  readonly value: string
  readonly baseline: string
  /** value / baseline, or null where a ratio means nothing. */
  readonly ratio: number | null
  readonly target: string
  readonly met: boolean | null
  readonly note?: string
}

export interface Figure {
  readonly rows: Row[]
  /** Extra lines (a detail table, what was measured) printed under the summary. */
  readonly details: string[]
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[index] as number
}

export const median = (values: readonly number[]): number => percentile(values, 50)

export function ms(value: number, digits = 1): string {
  return `${value.toFixed(digits)} ms`
}

export function kb(bytes: number): string {
  return `${(bytes / 1000).toFixed(1)} KB`
}

export function summaryTable(rows: readonly Row[]): string {
  const header = '| # | What | Measured | Baseline (same run) | Ratio | Target | Met |'
  const lines = [header, '|---|---|---:|---:|---:|---|---|']
  for (const row of rows) {
    const ratio = row.ratio === null ? '—' : `${row.ratio.toFixed(2)}×`
    const met = row.met === null ? 'report' : row.met ? 'met' : '**missed**'
    lines.push(
      `| ${row.id} | ${row.what} | ${row.value} | ${row.baseline} | ${ratio} | ${row.target} | ${met} |`,
    )
  }
  return lines.join('\n')
}

export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  let chromium = 'unknown'
  try {
    chromium = execFileSync('/usr/bin/chromium', ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
  } catch {
    // reported as unknown
  }
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')
  return `nproc ${os.availableParallelism()}, ${cpu}, Node ${process.version}, ${chromium}, load average ${load}`
}

/** Prints one figure's rows and details; used when a figure file runs alone. */
export function printFigure(figure: Figure): void {
  console.log(summaryTable(figure.rows))
  for (const line of figure.details) console.log(line)
  console.log(`\nMachine: ${machine()}`)
}

/** True when `moduleUrl` is the script node was started with (`tsx bench/b1-replay.ts`). */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1]
  return entry !== undefined && pathToFileURL(entry).href === moduleUrl
}

/** Runs a figure alone: prints it, exits non-zero only when the figure itself crashed. */
export function runAlone(name: string, figure: () => Promise<Figure>): void {
  figure().then(
    (result) => {
      printFigure(result)
      process.exit(0)
    },
    (error: unknown) => {
      console.error(`${name} failed:`, error)
      process.exit(1)
    },
  )
}
