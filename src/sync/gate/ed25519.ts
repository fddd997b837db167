import { ed25519 } from '@noble/curves/ed25519.js'
import { toHexString } from 'lib0/buffer'

// Ed25519 for the gate (rules GATE-1, PRESENCE-1): every document change and every presence
// message is signed or verified on the way in and out, so it must not sit on the typing path.
// WebCrypto's Ed25519 (Chromium 137+, Node 20) runs off the main thread and takes ~0.1 ms where
// noble's pure-JS verify takes ~3 ms; noble stays as the fallback for insecure contexts (a LAN
// address over http has no `crypto.subtle`) and engines without Ed25519 in WebCrypto.

export interface AsyncEd25519 {
  sign(seed: Uint8Array, message: Uint8Array): Promise<Uint8Array>
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean>
}

// PKCS#8 wrapping of a raw 32-byte Ed25519 seed (RFC 8410): WebCrypto imports private keys
// only in this form or as JWK.
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
])
const ALGORITHM = { name: 'Ed25519' } as const
/** Imported keys kept per seed or public key; a document meets a handful, an attacker many. */
const KEY_CACHE_LIMIT = 256

function remember<T>(
  cache: Map<string, Promise<T>>,
  key: string,
  make: () => Promise<T>,
): Promise<T> {
  let value = cache.get(key)
  if (value === undefined) {
    if (cache.size >= KEY_CACHE_LIMIT) cache.delete(cache.keys().next().value as string)
    value = make()
    cache.set(key, value)
  }
  return value
}

export const nobleEd25519: AsyncEd25519 = {
  sign: (seed, message) => Promise.resolve(ed25519.sign(message, seed)),
  verify: (signature, message, publicKey) => {
    try {
      return Promise.resolve(ed25519.verify(signature, message, publicKey))
    } catch {
      return Promise.resolve(false)
    }
  },
}

function webCryptoEd25519(subtle: SubtleCrypto): AsyncEd25519 {
  const privateKeys = new Map<string, Promise<CryptoKey>>()
  const publicKeys = new Map<string, Promise<CryptoKey>>()
  const privateKey = (seed: Uint8Array): Promise<CryptoKey> =>
    remember(privateKeys, toHexString(seed), () => {
      const pkcs8 = new Uint8Array(PKCS8_PREFIX.length + seed.length)
      pkcs8.set(PKCS8_PREFIX)
      pkcs8.set(seed, PKCS8_PREFIX.length)
      return subtle.importKey('pkcs8', pkcs8, ALGORITHM, false, ['sign'])
    })
  const publicKey = (raw: Uint8Array): Promise<CryptoKey> =>
    remember(publicKeys, toHexString(raw), () =>
      subtle.importKey('raw', Uint8Array.from(raw), ALGORITHM, false, ['verify']),
    )
  return {
    async sign(seed, message) {
      const key = await privateKey(seed)
      return new Uint8Array(await subtle.sign(ALGORITHM, key, Uint8Array.from(message)))
    },
    async verify(signature, message, raw) {
      if (signature.length !== 64 || raw.length !== 32) return false
      try {
        const key = await publicKey(raw)
        return await subtle.verify(
          ALGORITHM,
          key,
          Uint8Array.from(signature),
          Uint8Array.from(message),
        )
      } catch {
        // A public key that is not a point on the curve fails to import: not a valid signature.
        return false
      }
    },
  }
}

let chosen: Promise<AsyncEd25519> | null = null

/** The fastest Ed25519 this engine offers, probed once (a sign and a verify of a test vector). */
export function ed25519Engine(): Promise<AsyncEd25519> {
  chosen ??= (async () => {
    const subtle = globalThis.crypto?.subtle as SubtleCrypto | undefined
    if (subtle === undefined) return nobleEd25519
    try {
      const engine = webCryptoEd25519(subtle)
      const seed = new Uint8Array(32).fill(7)
      const message = Uint8Array.from([1, 2, 3])
      const signature = await engine.sign(seed, message)
      const ok = await engine.verify(signature, message, ed25519.getPublicKey(seed))
      return ok ? engine : nobleEd25519
    } catch {
      return nobleEd25519
    }
  })()
  return chosen
}

/** Chooses on first use, so that code holding it needs no asynchronous set-up. */
export const ed25519Auto: AsyncEd25519 = {
  sign: async (seed, message) => (await ed25519Engine()).sign(seed, message),
  verify: async (signature, message, publicKey) =>
    (await ed25519Engine()).verify(signature, message, publicKey),
}
