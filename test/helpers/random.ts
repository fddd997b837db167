import * as prng from 'lib0/prng'

// Seeded pseudo-random numbers (lib0's PRNG, as Yjs's own tests use) so that every randomized
// test can be replayed from the seed it prints on failure.
export interface Rng {
  readonly seed: number
  /** A float in [0, 1). */
  next(): number
  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number
  pick<T>(items: readonly T[]): T
  chance(probability: number): boolean
}

export function createRng(seed: number): Rng {
  // lib0 seeds its generator through xorshift32, which stays at 0 for a zero seed.
  if (!Number.isInteger(seed) || seed >>> 0 === 0) {
    throw new Error(`createRng: the seed must be a non-zero 32-bit integer, got ${seed}`)
  }
  const gen = prng.create(seed >>> 0)
  return {
    seed,
    next: () => prng.real53(gen),
    int: (maxExclusive) => (maxExclusive > 0 ? prng.int53(gen, 0, maxExclusive - 1) : 0),
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new Error('pick from an empty list')
      return prng.oneOf(gen, items as T[])
    },
    chance: (probability) => prng.real53(gen) < probability,
  }
}
