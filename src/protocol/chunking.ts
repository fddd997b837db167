// Wire format of Meshpad's chunked data-channel framing (docs/SPEC.md, CHUNK-1..5).
// Pure constants and the closed set of reasons a chunked channel is refused or fails with; the
// codec lives in src/sync/chunked/framing.ts.
//
// Every data-channel message is one binary frame of at most MAX_FRAME_BYTES:
//
//   hello (first frame each side sends, exactly once):
//     'M' 'P' 'C' 'K'  u8 version  varuint maxMessageBytes (largest message this side accepts)
//   data:
//     u8 version  u8 flags  varuint messageId  varuint index  varuint count
//     [index 0 only: varuint byteLength]  payload bytes
//
// flags bit 0 = binary (else UTF-8 string); other bits must be 0. Message ids start at 0 and go up
// by one per message; chunks of a message arrive with index 0..count-1 in order. The magic 'M'
// (77) is not a y-protocols message type, so a stock y-webrtc peer that receives our hello
// ignores it ("unknown message type") instead of misreading it.

/** Framing version this build speaks. A peer announcing another version is refused. */
export const CHUNKING_VERSION = 1

/** The hello frame starts with these bytes: ASCII "MPCK". */
export const HELLO_MAGIC: readonly number[] = [0x4d, 0x50, 0x43, 0x4b]

/** Largest frame either side puts on (or accepts from) the data channel: 16 KiB, which every
 * browser's SCTP stack accepts regardless of the negotiated `a=max-message-size`. */
export const MAX_FRAME_BYTES = 16 * 1024

/** Room reserved for a data frame's header (the largest possible header is 34 bytes). */
export const MAX_DATA_HEADER_BYTES = 64

/** Payload bytes carried by a full data frame. */
export const CHUNK_PAYLOAD_BYTES = MAX_FRAME_BYTES - MAX_DATA_HEADER_BYTES

/** Data-frame flag: the message is binary (ArrayBuffer/Blob); clear means a UTF-8 string. */
export const FLAG_BINARY = 0x01

/** Default largest reassembled message a peer accepts (announced in its hello). */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024

/** Default most messages that may be partially received at once on one channel. */
export const DEFAULT_MAX_PARTIAL_MESSAGES = 8

/**
 * Why a chunked channel was refused or failed. Closed set: the status model can map each to a
 * user-facing message. Every one of them closes the channel.
 */
export type ChunkingErrorReason =
  /** The peer's first message is not a v1 hello: a stock y-webrtc peer, another app, or v2+. */
  | 'peer-does-not-speak-meshpad-chunking-v1'
  /** The channel opened but the peer sent no hello in time. */
  | 'hello-timeout'
  /** A frame is truncated, has unknown flags, is a string, or contradicts its own message. */
  | 'malformed-frame'
  /** A data frame carries a framing version other than the one agreed in the hello. */
  | 'unsupported-version'
  /** A frame is larger than MAX_FRAME_BYTES. */
  | 'frame-too-large'
  /** A message id was skipped or reused. */
  | 'unexpected-message-id'
  /** A chunk arrived twice, early, or for a message that never started. */
  | 'chunk-out-of-order'
  /** A chunk index is not below the message's chunk count. */
  | 'chunk-index-out-of-range'
  /** A declared message length exceeds the receiver's maxMessageBytes. */
  | 'message-too-large'
  /** Partially received messages together would exceed the receiver's memory budget. */
  | 'reassembly-budget-exceeded'
  /** Too many messages are partially received at once. */
  | 'too-many-partial-messages'
  /** The payload bytes of a message disagree with its declared length. */
  | 'length-mismatch'
  /** A string message is not valid UTF-8. */
  | 'invalid-utf8'
  /** The local side tried to send a message larger than the peer accepts. */
  | 'outbound-message-too-large'
  /** The underlying data channel refused a frame, and retrying did not help. */
  | 'send-failed'
  /** The underlying channel closed while messages were still queued to be sent. */
  | 'closed-before-sent'
  /** The underlying data channel reported an error. */
  | 'transport-error'
