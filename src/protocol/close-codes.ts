// The one closed set of reasons the signaling server closes a connection for. Every close the
// server initiates uses exactly one of these, with its code, and a close-frame reason text that
// starts with the reason name (`bad-frame: unknown-type`). Clients map the code back with
// `closeReasonOf`. Codes 1xxx are the standard ones `ws` itself sends for framing violations;
// 4xxx are ours, shaped after the HTTP status with the same meaning.
export const CLOSE_CODES = {
  'going-away': 1001,
  'protocol-error': 1002,
  'invalid-utf8': 1007,
  'too-large': 1009,
  'internal-error': 1011,
  'bad-frame': 4400,
  'idle-timeout': 4408,
  'rate-limited': 4429,
  'too-many-topics': 4431,
  'too-many-connections': 4503,
  'slow-consumer': 4509,
} as const

export type CloseReason = keyof typeof CLOSE_CODES
export type CloseCode = (typeof CLOSE_CODES)[CloseReason]

export const CLOSE_REASONS = Object.keys(CLOSE_CODES) as CloseReason[]

const byCode = new Map<number, CloseReason>(
  CLOSE_REASONS.map((reason) => [CLOSE_CODES[reason], reason]),
)

/** The reason for a close code the server sent, or undefined for a code outside the set. */
export function closeReasonOf(code: number): CloseReason | undefined {
  return byCode.get(code)
}

/** WebSocket close reasons are limited to 123 bytes of UTF-8. */
export const MAX_CLOSE_REASON_BYTES = 123

/**
 * The close-frame text for a reason and an optional detail from a closed vocabulary. Never put
 * client-supplied text here: close reasons are logged and shown, payloads never are.
 */
export function closeText(reason: CloseReason, detail?: string): string {
  const text = detail === undefined ? reason : `${reason}: ${detail}`
  // Details are ASCII by contract, so slicing by characters is slicing by bytes.
  return text.slice(0, MAX_CLOSE_REASON_BYTES)
}
