// Default limits of the signaling server. The server makes each configurable; these are the safe
// defaults documented in docs/SPEC.md ("Protocol and limits"). Clients may read them to
// stay within bounds (for example to refuse building a signaling message that cannot be relayed).
export interface SignalingLimits {
  /** Largest inbound WebSocket message, in bytes (ws `maxPayload`). */
  readonly maxFrameBytes: number
  /** Most topics one connection may be subscribed to at once. */
  readonly maxTopicsPerConnection: number
  /** Longest topic name, in UTF-16 code units. */
  readonly maxTopicLength: number
  /** Sustained inbound messages per second per connection (token bucket refill rate). */
  readonly rateLimitPerSecond: number
  /** Inbound messages a connection may send in a burst (token bucket capacity). */
  readonly rateLimitBurst: number
  /** Concurrent connections from one client address. */
  readonly maxConnectionsPerIp: number
  /** Concurrent connections on one server instance. */
  readonly maxConnections: number
  /** A connection that has not answered a WebSocket ping within this time is closed. */
  readonly idleTimeoutMs: number
  /** Bytes queued for a subscriber beyond which it is dropped as a slow consumer. */
  readonly maxBufferedBytes: number
}

export const DEFAULT_LIMITS: SignalingLimits = {
  maxFrameBytes: 64 * 1024,
  maxTopicsPerConnection: 100,
  maxTopicLength: 512,
  rateLimitPerSecond: 50,
  rateLimitBurst: 200,
  maxConnectionsPerIp: 256,
  maxConnections: 20_000,
  idleTimeoutMs: 30_000,
  maxBufferedBytes: 1024 * 1024,
}

/** The path of the signaling WebSocket on the app's origin. */
export const SIGNALING_PATH = '/signal'
