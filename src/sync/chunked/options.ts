// Options of a chunked channel, their defaults and their validation. A bad option is a bug or a
// bad config: it throws at once, saying which option and what is allowed.
import {
  CHUNK_PAYLOAD_BYTES,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_PARTIAL_MESSAGES,
  MAX_FRAME_BYTES,
} from '../../protocol/chunking'
import type { ChunkingError } from './errors'

/** The channel type is only referenced, so options.ts and channel.ts do not form a cycle. */
export interface ChunkedChannelRef {
  readonly label: string
}

export interface ChunkingOptions {
  /** Largest inbound message accepted, announced to the peer. Default 64 MiB. */
  maxMessageBytes?: number
  /** Most inbound messages partially received at once. Default 8. */
  maxPartialMessages?: number
  /** Payload bytes per frame, 1..16320. Default 16320 (frames of at most 16 KiB). */
  chunkBytes?: number
  /** The underlying channel's bufferedAmount is kept at or under this. Default 1 MiB. */
  highWaterMark?: number
  /** Sending resumes once the underlying bufferedAmount is at or under this. Default
   * highWaterMark / 4. */
  lowWaterMark?: number
  /** The peer must send its hello within this long after the channel opens. Default 10 s. */
  helloTimeoutMs?: number
  /** A refused frame is retried this many times before the channel fails. Default 3. */
  maxSendRetries?: number
  /** First retry delay; doubles with each retry. Default 20 ms. */
  retryDelayMs?: number
  /**
   * How often to check the underlying bufferedAmount while blocked when the channel has no
   * `bufferedamountlow` event (@roamhq/wrtc has none). Default 5 ms.
   */
  pollIntervalMs?: number
  /**
   * Called once per channel that fails, with the same error its `error` event carries, so that
   * src/sync/ status can show it. Never called for a close the local side asked for.
   */
  onTransportError?: (error: ChunkingError, channel: ChunkedChannelRef) => void
}

export type ResolvedChunkingOptions = Required<Omit<ChunkingOptions, 'onTransportError'>> &
  Pick<ChunkingOptions, 'onTransportError'>

export function resolveChunkingOptions(options: ChunkingOptions = {}): ResolvedChunkingOptions {
  const highWaterMark = options.highWaterMark ?? 1024 * 1024
  const resolved: ResolvedChunkingOptions = {
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    maxPartialMessages: options.maxPartialMessages ?? DEFAULT_MAX_PARTIAL_MESSAGES,
    chunkBytes: options.chunkBytes ?? CHUNK_PAYLOAD_BYTES,
    highWaterMark,
    lowWaterMark: options.lowWaterMark ?? Math.floor(highWaterMark / 4),
    helloTimeoutMs: options.helloTimeoutMs ?? 10_000,
    maxSendRetries: options.maxSendRetries ?? 3,
    retryDelayMs: options.retryDelayMs ?? 20,
    pollIntervalMs: options.pollIntervalMs ?? 5,
    onTransportError: options.onTransportError,
  }
  const int = (name: keyof ResolvedChunkingOptions, min: number, max: number): void => {
    const value = resolved[name]
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new Error(
        `chunkingWrtc: option ${name} must be an integer in [${min}, ${max}], got ${String(value)}`,
      )
    }
  }
  int('maxMessageBytes', 0, Number.MAX_SAFE_INTEGER)
  int('maxPartialMessages', 1, 1024)
  int('chunkBytes', 1, CHUNK_PAYLOAD_BYTES)
  int('highWaterMark', MAX_FRAME_BYTES, 15 * 1024 * 1024) // browsers refuse sends past 16 MiB
  int('lowWaterMark', 0, resolved.highWaterMark - 1)
  int('helloTimeoutMs', 1, 10 * 60_000)
  int('maxSendRetries', 0, 100)
  int('retryDelayMs', 0, 60_000)
  int('pollIntervalMs', 1, 1000)
  if (resolved.onTransportError !== undefined && typeof resolved.onTransportError !== 'function') {
    throw new Error('chunkingWrtc: option onTransportError must be a function')
  }
  return resolved
}
