// Polls a condition until it holds or a deadline passes. Tests never sleep blindly: they wait
// for what a user would see, and a timeout says what was awaited and the last value observed.
// In a test body, vitest's own `expect.poll` / `vi.waitFor` do this; this one is for code that
// also runs outside vitest (the benchmarks, which reuse the e2e peer and server helpers) and for
// helpers that wait for a value to hand back rather than for an assertion.
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  { timeoutMs = 15_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<Exclude<T, false | null | undefined>> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  let lastError: unknown
  for (;;) {
    try {
      last = await probe()
      if (last !== false && last !== null && last !== undefined) {
        return last as Exclude<T, false | null | undefined>
      }
    } catch (error) {
      lastError = error
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : ''
      throw new Error(
        `waitFor: "${what}" did not hold within ${timeoutMs} ms; last value ${JSON.stringify(last)}${detail}`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
