import type { PeerIdentity } from '../editor/create-editor'

// My name and colour as others see them (rule AWARE-2): remembered in this browser, with a
// pleasant random default the first time.

const KEY = 'meshpad:identity:v1'
const MAX_NAME = 40

const ADJECTIVES = [
  'Amber',
  'Brisk',
  'Calm',
  'Clever',
  'Gentle',
  'Jolly',
  'Lucky',
  'Nimble',
  'Quiet',
  'Sunny',
  'Swift',
  'Witty',
]
const ANIMALS = [
  'Otter',
  'Heron',
  'Fox',
  'Lynx',
  'Puffin',
  'Badger',
  'Falcon',
  'Panda',
  'Robin',
  'Seal',
  'Tiger',
  'Wren',
]
/** Readable on white, distinct from each other. */
export const PALETTE = [
  '#e03131',
  '#c2255c',
  '#9c36b5',
  '#6741d9',
  '#3b5bdb',
  '#1971c2',
  '#0c8599',
  '#099268',
  '#2f9e44',
  '#e8590c',
]

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T

export function randomIdentity(): PeerIdentity {
  return { name: `${pick(ADJECTIVES)} ${pick(ANIMALS)}`, color: pick(PALETTE) }
}

export function cleanName(name: string): string {
  return name.replace(/\s+/g, ' ').trim().slice(0, MAX_NAME)
}

export function loadIdentity(store: Storage): PeerIdentity {
  try {
    const raw: unknown = JSON.parse(store.getItem(KEY) ?? 'null')
    if (typeof raw === 'object' && raw !== null) {
      const { name, color } = raw as Record<string, unknown>
      if (
        typeof name === 'string' &&
        cleanName(name) !== '' &&
        typeof color === 'string' &&
        PALETTE.includes(color)
      ) {
        return { name: cleanName(name), color }
      }
    }
  } catch {
    // A corrupt entry is replaced by a fresh identity below.
  }
  const fresh = randomIdentity()
  saveIdentity(store, fresh)
  return fresh
}

export function saveIdentity(store: Storage, identity: PeerIdentity): void {
  store.setItem(KEY, JSON.stringify(identity))
}
