// y-webrtc's signaling protocol as typed values, and the parser that turns one untrusted inbound
// WebSocket message into one of them or a rejection with a reason from a closed set. Pure: no
// Node, no DOM. The wire format is y-webrtc's (bin/server.js, src/y-webrtc.js): JSON text frames
//   {type:'subscribe', topics:string[]}   {type:'unsubscribe', topics:string[]}
//   {type:'publish', topic:string, ...}   {type:'ping'}  -> server answers {type:'pong'}
// A publish is relayed verbatim to every subscriber of its topic (the sender too, if subscribed)
// with `clients` (the number of receivers on the relaying instance) added.

declare const topicBrand: unique symbol
/** A signaling topic (a y-webrtc room name). Non-empty, bounded length. */
export type Topic = string & { readonly [topicBrand]: true }

export type ClientFrame =
  | { readonly type: 'subscribe'; readonly topics: readonly Topic[] }
  | { readonly type: 'unsubscribe'; readonly topics: readonly Topic[] }
  /** `text` is the frame as received, relayed verbatim. `topic` is null when it was empty. */
  | { readonly type: 'publish'; readonly topic: Topic | null; readonly text: string }
  | { readonly type: 'ping' }

export type ClientFrameType = ClientFrame['type']

export type ServerFrame =
  | { readonly type: 'pong' }
  | {
      readonly type: 'publish'
      readonly topic: string
      readonly clients: number
      readonly [field: string]: unknown
    }

/** Why an inbound frame was rejected. A closed set: metrics label by it. */
export const FRAME_ERRORS = [
  'binary-frame',
  'malformed-json',
  'not-an-object',
  'unknown-type',
  'bad-field',
  'too-many-topics',
  'topic-too-long',
] as const
export type FrameError = (typeof FRAME_ERRORS)[number]

export type ParseResult =
  | { readonly ok: true; readonly frame: ClientFrame }
  | { readonly ok: false; readonly error: FrameError }

export interface ParseLimits {
  readonly maxTopicsPerFrame: number
  readonly maxTopicLength: number
}

const reject = (error: FrameError): ParseResult => ({ ok: false, error })

/**
 * Parses one inbound text frame. Never throws. Empty topic names are dropped (as y-webrtc's
 * server ignores them); anything else that is not exactly the protocol is rejected.
 */
export function parseClientFrame(text: string, limits: ParseLimits): ParseResult {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return reject('malformed-json')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return reject('not-an-object')
  }
  const record = value as Record<string, unknown>
  const type = record['type']
  switch (type) {
    case 'subscribe':
    case 'unsubscribe': {
      const topics = parseTopics(record['topics'], limits)
      if (!Array.isArray(topics)) return topics
      return { ok: true, frame: { type, topics } }
    }
    case 'publish': {
      const topic = record['topic']
      if (typeof topic !== 'string') return reject('bad-field')
      if (topic.length > limits.maxTopicLength) return reject('topic-too-long')
      return { ok: true, frame: { type, topic: topic === '' ? null : (topic as Topic), text } }
    }
    case 'ping':
      return { ok: true, frame: { type } }
    default:
      return reject(typeof type === 'string' ? 'unknown-type' : 'bad-field')
  }
}

function parseTopics(value: unknown, limits: ParseLimits): Topic[] | ParseResult {
  if (!Array.isArray(value)) return reject('bad-field')
  if (value.length > limits.maxTopicsPerFrame) return reject('too-many-topics')
  const topics: Topic[] = []
  for (const topic of value as unknown[]) {
    if (typeof topic !== 'string') return reject('bad-field')
    if (topic.length > limits.maxTopicLength) return reject('topic-too-long')
    if (topic !== '') topics.push(topic as Topic)
  }
  return topics
}

/**
 * The relayed form of a publish frame: the sender's text with `"clients":n` appended as the last
 * member. Splicing instead of re-serialising keeps the sender's bytes verbatim and costs no
 * JSON.stringify per relay. A `clients` member the sender put there is overridden, because
 * JSON.parse keeps the last of duplicate keys. `text` must be a frame `parseClientFrame` accepted
 * as a publish (a JSON object, so its last non-space character is `}`).
 */
export function relayText(text: string, clients: number): string {
  const end = text.lastIndexOf('}')
  return `${text.slice(0, end)},"clients":${clients}}`
}

export const PONG_TEXT = JSON.stringify({ type: 'pong' } satisfies ServerFrame)
