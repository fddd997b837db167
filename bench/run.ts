// `npm run bench`: every editor and sync figure of issue 5 (B1..B7), their size curves (issue 12) and the always-on peers' B8, versions' B9, the gate's B10,
// one after another (a 2-core machine: running them side by side would measure contention), then
// one markdown table with each measured value beside its same-run baseline, the ratio, the target
// and whether it was met. A figure that crashes is reported as such and the others still run.
// Each figure also runs alone: `npx tsx bench/b1-replay.ts` ... `bench/b8-always-on.ts` (see
// bench/README.md).
import { b1 } from './b1-replay'
import { b2 } from './b2-editor'
import { b3 } from './b3-join'
import { b4 } from './b4-latency'
import { b5 } from './b5-open'
import { b6 } from './b6-storage'
import { b7 } from './b7-download'
import { b8 } from './b8-always-on'
import { b9 } from './b9-versions'
import { b10 } from './b10-gate'
import { scale } from './scale'
import { machine, summaryTable, type Figure, type Row } from './lib/report'

async function main(): Promise<void> {
  const started = Date.now()
  const rows: Row[] = []
  const details: string[] = []
  const failed: string[] = []
  const run = async (id: string, figure: () => Promise<Figure>): Promise<void> => {
    const t0 = Date.now()
    console.error(`[bench] ${id}…`)
    try {
      const result = await figure()
      rows.push(...result.rows)
      details.push(...result.details)
    } catch (error) {
      failed.push(`${id}: ${error instanceof Error ? error.message : String(error)}`)
    }
    console.error(`[bench] ${id} done in ${((Date.now() - t0) / 1000).toFixed(0)} s`)
  }
  let perKeystroke: number | null = null
  await run('B1', async () => {
    const result = await b1()
    perKeystroke = result.perKeystrokeMs
    return result
  })
  await run('B2', () => b2(perKeystroke))
  await run('B3', b3)
  await run('B4', b4)
  await run('B5', b5)
  await run('B2, B4, B5 size curves', scale)
  await run('B6', b6)
  await run('B7', b7)
  await run('B8', b8)
  await run('B9', b9)
  await run('B10', () => b10())
  console.log(summaryTable(rows))
  for (const line of details) console.log(line)
  for (const line of failed) console.log(`\n**${line}** (figure crashed; not measured)`)
  console.log(
    `\nMachine: ${machine()}. Whole run: ${((Date.now() - started) / 1000).toFixed(0)} s.`,
  )
  process.exit(failed.length > 0 ? 1 : 0)
}

void main()
