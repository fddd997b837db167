// An in-memory RTCDataChannel pair flushed by hand, for unit tests of the chunking logic (as
// yjs's TestConnector): send() only queues; flush() delivers in order and drains bufferedAmount,
// firing bufferedamountlow on the downward crossing as a browser does. A fake: the real proof is
// test/integration/chunked-wrtc.test.ts.
import type { RawDataChannel, RawEvent } from '../../../src/sync/chunked/raw'

type Listener = (event: RawEvent) => void

export interface FakeOptions {
  /** Without it the fake has no bufferedAmountLowThreshold, like @roamhq/wrtc. */
  lowEvent?: boolean
  binaryType?: string
  label?: string
}

export class FakeRawChannel implements RawDataChannel {
  readonly label: string
  readonly id = 1
  readonly ordered = true
  readonly protocol = ''
  readonly negotiated = false
  readonly maxRetransmits = null
  readonly maxPacketLifeTime = null
  readyState: 'connecting' | 'open' | 'closing' | 'closed' = 'connecting'
  bufferedAmount = 0
  bufferedAmountLowThreshold?: number
  binaryType: string
  peer: FakeRawChannel | null = null
  /** Every frame handed to send(), in order (what went on the wire). */
  readonly wire: (ArrayBuffer | string)[] = []
  /** Highest bufferedAmount ever reached. */
  maxBuffered = 0
  /** The next this many send() calls throw, as a browser's full or failing channel does. */
  failSends = 0
  private readonly inFlight: (ArrayBuffer | string)[] = []
  private readonly listeners = new Map<string, Set<Listener>>()

  constructor(options: FakeOptions = {}) {
    this.label = options.label ?? 'fake'
    this.binaryType = options.binaryType ?? 'arraybuffer'
    if (options.lowEvent ?? true) this.bufferedAmountLowThreshold = 0
  }

  get inFlightCount(): number {
    return this.inFlight.length
  }

  addEventListener(type: string, listener: Listener): void {
    let set = this.listeners.get(type)
    if (!set) this.listeners.set(type, (set = new Set()))
    set.add(listener)
  }

  removeEventListener(type: string, listener: Listener): void {
    this.listeners.get(type)?.delete(listener)
  }

  listenerCount(): number {
    let n = 0
    for (const set of this.listeners.values()) n += set.size
    return n
  }

  send(data: ArrayBuffer | string): void {
    if (this.readyState !== 'open') throw new Error(`InvalidStateError: fake is ${this.readyState}`)
    if (this.failSends > 0) {
      this.failSends--
      throw new Error('OperationError: the fake refuses this send')
    }
    const copy = typeof data === 'string' ? data : data.slice(0)
    this.wire.push(copy)
    this.inFlight.push(copy)
    this.bufferedAmount += size(copy)
    this.maxBuffered = Math.max(this.maxBuffered, this.bufferedAmount)
  }

  /** As RTCDataChannel.close(): what is already buffered is still delivered, then both close. */
  close(): void {
    if (this.readyState === 'closed' || this.readyState === 'closing') return
    this.readyState = 'closing'
    if (this.inFlight.length === 0) this.finishClose()
  }

  private finishClose(): void {
    for (const channel of [this, this.peer]) {
      if (channel && channel.readyState !== 'closed') {
        channel.readyState = 'closed'
        channel.dispatch('close', {})
      }
    }
  }

  /** Puts bytes on the wire towards the peer, ahead of what is in flight, as if another
   * implementation had sent them. */
  injectNext(data: ArrayBuffer | string): void {
    this.inFlight.unshift(data)
    this.bufferedAmount += size(data)
  }

  /** Delivers up to `maxMessages` in-flight messages to the peer, in order. Returns how many. */
  flush(maxMessages = Infinity): number {
    let delivered = 0
    while (delivered < maxMessages && this.inFlight.length > 0) {
      const data = this.inFlight.shift() as ArrayBuffer | string
      const before = this.bufferedAmount
      this.bufferedAmount -= size(data)
      delivered++
      if (this.peer?.readyState === 'open') this.peer.dispatch('message', { data })
      if (this.readyState === 'closing' && this.inFlight.length === 0) this.finishClose()
      const threshold = this.bufferedAmountLowThreshold
      if (threshold !== undefined && before > threshold && this.bufferedAmount <= threshold) {
        this.dispatch('bufferedamountlow', {})
      }
    }
    return delivered
  }

  dispatch(type: string, event: Omit<RawEvent, 'type'>): void {
    for (const listener of [...(this.listeners.get(type) ?? [])]) listener({ type, ...event })
  }

  open(): void {
    this.readyState = 'open'
    this.dispatch('open', {})
  }
}

function size(data: ArrayBuffer | string): number {
  return typeof data === 'string' ? data.length : data.byteLength
}

export function fakePair(options: FakeOptions = {}): [FakeRawChannel, FakeRawChannel] {
  const a = new FakeRawChannel(options)
  const b = new FakeRawChannel(options)
  a.peer = b
  b.peer = a
  return [a, b]
}

/** Flushes both directions until nothing is in flight (synchronous: low events pump inline). */
export function flushAll(...channels: FakeRawChannel[]): void {
  for (let rounds = 0; rounds < 1_000_000; rounds++) {
    let moved = 0
    for (const channel of channels) moved += channel.flush()
    if (moved === 0) return
  }
  throw new Error('flushAll: still moving after a million rounds')
}

/** Lets queued microtasks (error, close, bufferedamountlow events) run. */
export async function microtasks(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}
