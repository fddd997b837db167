import type { SparseHistogram } from './histogram.js'

// IPC between the benchmark runner (run.ts) and its load generator processes (load.ts).

export interface FanoutRoom {
  readonly topic: string
  /** Signaling URL of each subscriber; subscriber 0 is also the room's publisher. */
  readonly subscriberUrls: readonly string[]
}

export type LoadCommand =
  | {
      readonly op: 'idle'
      readonly url: string
      readonly count: number
      readonly concurrency: number
      /** Connection i subscribes to `${topicPrefix}${floor(i / 2)}`: rooms of two, as peers. */
      readonly topicPrefix: string
      readonly timeoutMs: number
    }
  | { readonly op: 'fanoutSetup'; readonly rooms: readonly FanoutRoom[] }
  | {
      readonly op: 'fanoutRun'
      readonly ratePerRoom: number
      readonly durationMs: number
      readonly drainMs: number
      readonly payloadBytes: number
    }
  | { readonly op: 'closeAll' }

export interface IdleResult {
  /** Connections open, subscribed and answering a ping. */
  readonly held: number
  readonly failed: number
  readonly firstErrors: readonly string[]
}

export interface FanoutResult {
  readonly sent: number
  readonly expected: number
  readonly delivered: number
  /** Deliveries of a frame to a connection that had already received it. */
  readonly duplicates: number
  readonly histogram: SparseHistogram
  /** performance.now() of the first publish and of the last delivery counted. */
  readonly firstSendAt: number
  readonly lastDeliverAt: number
  readonly sendWindowMs: number
}

export interface LoadReplies {
  idle: IdleResult
  fanoutSetup: { readonly connections: number }
  fanoutRun: FanoutResult
  closeAll: { readonly closed: number }
}

export type LoadReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string }
