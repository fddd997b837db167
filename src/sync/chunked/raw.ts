// The real data channel as the wrapper sees it (a browser or @roamhq/wrtc RTCDataChannel, or a
// test fake), and small helpers for talking to it.

/** What the wrapper needs of the real data channel (a browser or @roamhq/wrtc RTCDataChannel). */
export interface RawDataChannel {
  readonly label: string
  readonly id: number | null
  readonly readyState: string
  readonly bufferedAmount: number
  /** Absent in @roamhq/wrtc: then the wrapper polls bufferedAmount instead. */
  bufferedAmountLowThreshold?: number
  binaryType: string
  readonly ordered?: boolean
  readonly protocol?: string
  readonly negotiated?: boolean
  readonly maxRetransmits?: number | null
  readonly maxPacketLifeTime?: number | null
  send(data: ArrayBuffer): void
  close(): void
  addEventListener(type: string, listener: (event: RawEvent) => void): void
  removeEventListener(type: string, listener: (event: RawEvent) => void): void
}

/** The fields of the real channel's events the wrapper reads. */
export interface RawEvent {
  readonly type: string
  /** `message` */
  readonly data?: unknown
  /** `error` (an RTCErrorEvent carries `error`) */
  readonly error?: unknown
  readonly message?: string
}

/** @roamhq/wrtc reports an unset maxRetransmits / maxPacketLifeTime as 65535, not null. */
export function isSet(value: number | null | undefined): boolean {
  return value != null && value !== 65535
}

export function asBytes(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  return null
}

export function describe(data: unknown): string {
  return typeof data === 'string' ? `string of ${data.length} characters` : `${typeof data} value`
}

/** Frames are freshly allocated, so this is normally the frame's own buffer, not a copy. */
export function ownBuffer(frame: Uint8Array): ArrayBuffer {
  if (frame.byteOffset === 0 && frame.byteLength === frame.buffer.byteLength) {
    if (frame.buffer instanceof ArrayBuffer) return frame.buffer
  }
  return frame.slice().buffer
}

export function closeQuietly(raw: RawDataChannel): void {
  try {
    raw.close()
  } catch {
    // Already closed or never opened: nothing left to release.
  }
}

export function invalidState(message: string): Error {
  if (typeof DOMException === 'function') return new DOMException(message, 'InvalidStateError')
  return Object.assign(new Error(message), { name: 'InvalidStateError' })
}
