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

/** `n` letters a..z from `seed`: about 4.7 bits each, however they are compressed. */
export function randomLetters(n: number, seed = 7): string {
  const rng = createRng(seed)
  return Array.from({ length: n }, () => String.fromCharCode(97 + rng.int(26))).join('')
}

/** `count` paragraphs of random eight-letter words, `length` characters each: text that does not compress. */
export function randomParagraphs(count: number, length: number, seed = 7): string[] {
  const letters = randomLetters(count * length, seed)
  return Array.from({ length: count }, (_, i) =>
    letters
      .slice(i * length, (i + 1) * length)
      .replace(/(.{8})(?=.)/g, '$1 ')
      .slice(0, length),
  )
}
