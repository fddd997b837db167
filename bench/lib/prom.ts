// Reads values out of a Prometheus text exposition (what the server's /metrics answers), for
// figures that report what the server counted: `metric(text, 'meshpad_store_compactions_total')`,
// `metric(text, 'meshpad_store_rejections_total', { reason: 'stale-parent' })`.

/** The sample's value, or 0 when the series is absent (a counter never incremented). */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels)
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue
    const match = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})?\s+(\S+)/.exec(line)
    if (!match || match[1] !== name) continue
    const have = new Map<string, string>()
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      have.set(pair[1] as string, pair[2] as string)
    }
    if (wanted.every(([key, value]) => have.get(key) === value)) return Number(match[3])
  }
  return 0
}

/** GET `<httpUrl>/metrics`. */
export async function scrape(httpUrl: string): Promise<string> {
  const response = await fetch(`${httpUrl.replace(/\/$/, '')}/metrics`)
  if (!response.ok) throw new Error(`/metrics answered ${response.status}`)
  return response.text()
}
