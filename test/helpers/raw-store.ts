import { mkdtempSync } from 'node:fs'
import type { Socket } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { ed25519 } from '@noble/curves/ed25519.js'
import WebSocket from 'ws'
import * as Y from 'yjs'
import {
  decodeServerMessage,
  encodeClientMessage,
  type AckMessage,
  type RejectMessage,
  type ServerMessage,
  type WelcomeMessage,
} from '../../src/protocol/always-on'
import { NO_PARENT } from '../../src/protocol/entry'
import { deriveDocKeys, type DocKeys } from '../../src/share/keys'
import { newDocAddress } from '../../src/share/link'
import { sealEntry } from '../../src/sync/always-on/crypto'
import { encodePayload } from '../../src/sync/always-on/payload'
import type { EntryStore } from '../../server/always-on/store'

// The always-on peer's protocol spoken by hand, as a modified client would: a raw `ws` socket
// that sends whatever frames it is given and records every frame and the close it gets back, and
// builders of signed entries (honest, forged, tampered) whose content a real client can read.

export interface Closed {
  readonly code: number
  readonly reason: string
}

export type PutAnswer = AckMessage | RejectMessage

export class RawStoreSocket {
  readonly received: ServerMessage[] = []
  /** Frames from the peer that did not parse (a well-behaved peer sends none). */
  readonly malformed: string[] = []
  readonly closed: Promise<Closed>
  private nextRequestId = 1
  private readonly listeners = new Set<() => void>()

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        resolve({ code, reason: reason.toString() })
        this.notify()
      })
    })
    ws.on('error', () => undefined)
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) {
        this.malformed.push('text frame')
      } else {
        const parsed = decodeServerMessage(new Uint8Array(data))
        if (parsed.ok) this.received.push(parsed.value)
        else this.malformed.push(`${parsed.reason}: ${parsed.detail}`)
      }
      this.notify()
    })
  }

  static async open(url: string): Promise<RawStoreSocket> {
    const ws = new WebSocket(url, { perMessageDeflate: false })
    const socket = new RawStoreSocket(ws)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    return socket
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN
  }

  /** Calls `listener` with every frame that parses, as it arrives; returns the unsubscribe. */
  onMessage(listener: (message: ServerMessage) => void): () => void {
    let seen = this.received.length
    const check = (): void => {
      while (seen < this.received.length) listener(this.received[seen++]!)
    }
    this.listeners.add(check)
    return () => this.listeners.delete(check)
  }

  /** Sends any frame as is: binary unless it is a string. */
  send(frame: Uint8Array | string): void {
    this.ws.send(frame, { binary: typeof frame !== 'string' })
  }

  hello(
    keys: { readonly storeTopic: string; readonly verifyKey: Uint8Array },
    have: { readonly snapshot?: Uint8Array; readonly since?: number } = {},
  ): void {
    this.send(
      encodeClientMessage({
        type: 'hello',
        topic: keys.storeTopic,
        verifyKey: keys.verifyKey,
        haveSnapshot: have.snapshot ?? new Uint8Array(0),
        since: have.since ?? 0,
      }),
    )
  }

  /** Sends a put without waiting; returns its request id. */
  sendPut(entry: Uint8Array): number {
    const requestId = this.nextRequestId++
    this.send(encodeClientMessage({ type: 'put', requestId, entry }))
    return requestId
  }

  async put(entry: Uint8Array, timeoutMs?: number): Promise<PutAnswer> {
    return this.answer(this.sendPut(entry), timeoutMs)
  }

  answer(requestId: number, timeoutMs?: number): Promise<PutAnswer> {
    return this.next(
      `the answer to put #${requestId}`,
      (message): message is PutAnswer =>
        (message.type === 'ack' || message.type === 'reject') && message.requestId === requestId,
      timeoutMs,
    )
  }

  welcome(timeoutMs?: number): Promise<WelcomeMessage> {
    return this.next(
      'the welcome',
      (message): message is WelcomeMessage => message.type === 'welcome',
      timeoutMs,
    )
  }

  /** The first received frame that matches, waiting for it if need be. */
  next<T extends ServerMessage>(
    what: string,
    match: (message: ServerMessage) => message is T,
    timeoutMs = 10_000,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const found = this.received.find(match)
        if (found !== undefined) {
          done()
          resolve(found)
        } else if (this.ws.readyState === WebSocket.CLOSED) {
          done()
          void this.closed.then(({ code, reason }) =>
            reject(new Error(`socket closed (${code} ${reason}) while waiting for ${what}`)),
          )
        }
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`no ${what} within ${timeoutMs} ms`))
      }, timeoutMs)
      const done = (): void => {
        clearTimeout(timer)
        this.listeners.delete(check)
      }
      this.listeners.add(check)
      check()
    })
  }

  /**
   * Writes only the header of a masked binary frame that claims `length` payload bytes, straight
   * to the TCP socket: the peer must refuse it from the header alone, before any payload arrives.
   */
  declareFrame(length: number): void {
    const header = Buffer.alloc(14)
    header[0] = 0x82 // FIN, binary
    header[1] = 0x80 | 127 // masked, 64-bit length follows
    header.writeBigUInt64BE(BigInt(length), 2)
    header.writeUInt32BE(0x01020304, 10) // mask
    ;(this.ws as unknown as { _socket: Socket })._socket.write(header)
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.terminate()
    }
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener()
  }
}

/** A new document's keys, as an edit link yields them. */
export function newKeys(): DocKeys {
  return deriveDocKeys(newDocAddress())
}

/** The same document's public part and encryption key, with a signing key of someone else. */
export function otherSigner(keys: DocKeys): DocKeys {
  return { ...keys, signingKey: ed25519.utils.randomSecretKey() }
}

/** A Yjs update (V1) that inserts `text` into the `t` text of an empty document. */
export function textUpdate(text: string): Uint8Array {
  const doc = new Y.Doc()
  doc.getText('t').insert(0, text)
  const update = Y.encodeStateAsUpdate(doc)
  doc.destroy()
  return update
}

/** A sealed update entry whose content inserts `text` (readable by the link's holders). */
export function updateEntry(
  keys: DocKeys,
  text: string,
  parent: Uint8Array = NO_PARENT,
): Uint8Array {
  return sealEntry(
    keys,
    { kind: 'update', parent, covers: 0 },
    encodePayload({ type: 'update-v1', update: textUpdate(text) }),
  )
}

/** A sealed snapshot entry holding a document whose text is `text`. */
export function snapshotEntry(
  keys: DocKeys,
  text: string,
  parent: Uint8Array,
  covers: number,
): Uint8Array {
  const doc = new Y.Doc()
  doc.getText('t').insert(0, text)
  const state = Y.encodeStateAsUpdateV2(doc)
  doc.destroy()
  return sealEntry(
    keys,
    { kind: 'snapshot', parent, covers },
    encodePayload({ type: 'state-v2', update: state }),
  )
}

/** A sealed update entry of exactly `size` bytes (opaque content: the peer cannot tell). */
export function entryOfSize(
  keys: DocKeys,
  size: number,
  parent: Uint8Array = NO_PARENT,
): Uint8Array {
  let payload = Math.max(1, size - 200)
  for (;;) {
    const entry = sealEntry(
      keys,
      { kind: 'update', parent, covers: 0 },
      encodePayload({ type: 'update-v1', update: new Uint8Array(payload) }),
    )
    if (entry.length === size) return entry
    const next = payload + (size - entry.length)
    if (next < 1 || next === payload) throw new Error(`cannot make an entry of ${size} bytes`)
    payload = next
  }
}

/** A copy of `bytes` with one byte changed at `offset`. */
export function flipByte(bytes: Uint8Array, offset: number, mask = 0x01): Uint8Array {
  const copy = new Uint8Array(bytes)
  const at = offset < 0 ? copy.length + offset : offset
  copy[at] = (copy[at] ?? 0) ^ mask
  return copy
}

/** Everything the store holds for a topic, comparable with toEqual. */
export async function dumpDocument(
  store: EntryStore,
  topic: string,
): Promise<{
  head: number
  snapshot: { seq: number; bytes: string } | null
  updates: { seq: number; bytes: string }[]
} | null> {
  const read = await store.read(topic, { snapshotId: null, since: 0 })
  if (read === null) return null
  const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')
  return {
    head: read.head,
    snapshot: read.snapshot ? { seq: read.snapshot.seq, bytes: b64(read.snapshot.bytes) } : null,
    updates: read.updates.map((u) => ({ seq: u.seq, bytes: b64(u.bytes) })),
  }
}

export function tempDataDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'meshpad-always-on-'))
}
