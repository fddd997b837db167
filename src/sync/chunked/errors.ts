// The one error type a chunked channel reports, with a reason from the closed set in
// src/protocol/chunking.ts so the status model can show it without parsing messages.
import type { ChunkingErrorReason } from '../../protocol/chunking'

export class ChunkingError extends Error {
  readonly reason: ChunkingErrorReason
  readonly detail: string

  constructor(reason: ChunkingErrorReason, detail: string, options?: { cause?: unknown }) {
    super(`${reason}: ${detail}`, options)
    this.name = 'ChunkingError'
    this.reason = reason
    this.detail = detail
  }
}
