import { once } from 'node:events'
import * as decoding from 'lib0/decoding'
import { WebSocket } from 'ws'

// A raw WebSocket client that subscribes to one signaling topic and records every frame the
// server relays to it: what anyone who can guess a topic (or runs the server) gets to see.
// `decryptPayload` re-derives y-webrtc's key from the password (PBKDF2-SHA256, 100,000 rounds,
// the room name as salt, AES-GCM-256; see y-webrtc/src/crypto.js) to prove that the opaque
// payloads really are y-webrtc's encrypted signaling messages and not something else.
export interface SignalObserver {
  /** Every text frame received, parsed. */
  readonly frames: readonly Record<string, unknown>[]
  close(): Promise<void>
}

export async function observeTopic(signalUrl: string, topic: string): Promise<SignalObserver> {
  const socket = new WebSocket(signalUrl)
  const frames: Record<string, unknown>[] = []
  socket.on('message', (data, isBinary) => {
    // y-webrtc's protocol is JSON text only; record a binary frame so a test can fail on it.
    if (isBinary) return void frames.push({ type: '<binary frame>' })
    const bytes = Array.isArray(data)
      ? Buffer.concat(data)
      : Buffer.isBuffer(data)
        ? data
        : Buffer.from(new Uint8Array(data))
    const text = bytes.toString('utf8')
    frames.push(JSON.parse(text) as Record<string, unknown>)
  })
  await once(socket, 'open')
  socket.send(JSON.stringify({ type: 'subscribe', topics: [topic] }))
  // A ping answered means the subscribe ahead of it was processed.
  socket.send(JSON.stringify({ type: 'ping' }))
  const deadline = Date.now() + 10_000
  while (!frames.some((frame) => frame['type'] === 'pong')) {
    if (Date.now() > deadline) throw new Error('observer: no pong within 10 s')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return {
    frames,
    async close() {
      if (socket.readyState === WebSocket.CLOSED) return
      socket.close()
      await once(socket, 'close')
    },
  }
}

/** Decrypts the `data` of a y-webrtc publish frame sent with `password` in room `topic`. */
export async function decryptPayload(
  data: string,
  password: string,
  topic: string,
): Promise<unknown> {
  const encoder = new TextEncoder()
  const material = await crypto.subtle.importKey('raw', encoder.encode(password), 'PBKDF2', false, [
    'deriveKey',
  ])
  const key = await crypto.subtle.deriveKey(
    { name: 'PBKDF2', salt: encoder.encode(topic), iterations: 100_000, hash: 'SHA-256' },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['decrypt'],
  )
  const decoder = decoding.createDecoder(new Uint8Array(Buffer.from(data, 'base64')))
  const algorithm = decoding.readVarString(decoder)
  if (algorithm !== 'AES-GCM') throw new Error(`unexpected algorithm ${algorithm}`)
  const iv = decoding.readVarUint8Array(decoder)
  const cipher = decoding.readVarUint8Array(decoder)
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, cipher)
  return decoding.readAny(decoding.createDecoder(new Uint8Array(plain)))
}
