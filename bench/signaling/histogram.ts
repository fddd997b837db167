// Latency histogram with logarithmic buckets (each 2% wider than the last), so percentiles are
// within 2% at any scale from microseconds to seconds, and two histograms merge by adding counts.
// Sent between processes as sparse [bucket, count] pairs.
const RATIO = Math.log(1.02)

export type SparseHistogram = [bucket: number, count: number][]

export class Histogram {
  private readonly counts = new Map<number, number>()
  total = 0

  /** Records one latency in milliseconds. */
  record(ms: number): void {
    const micros = Math.max(1, ms * 1000)
    const bucket = Math.floor(Math.log(micros) / RATIO)
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + 1)
    this.total++
  }

  merge(sparse: SparseHistogram): void {
    for (const [bucket, count] of sparse) {
      this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + count)
      this.total += count
    }
  }

  toSparse(): SparseHistogram {
    return [...this.counts.entries()]
  }

  /** The latency (ms, bucket upper bound) below which `fraction` of the samples lie; NaN if empty. */
  percentile(fraction: number): number {
    if (this.total === 0) return Number.NaN
    const rank = Math.ceil(fraction * this.total)
    let seen = 0
    for (const bucket of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(bucket) ?? 0
      if (seen >= rank) return Math.exp((bucket + 1) * RATIO) / 1000
    }
    return Number.NaN
  }
}
