// Chunked data-channel transport below y-webrtc: messages of any size over WebRTC in frames every
// browser accepts, with flow control and a handshake. Rules: docs/SPEC.md.
export { chunkingWrtc, type ChunkingWrtc, type WrtcLike } from './wrtc'
export {
  ChunkedDataChannel,
  type DataChannelState,
  type RawDataChannel,
  type RawEvent,
} from './channel'
export { ChunkingError } from './errors'
export { resolveChunkingOptions, type ChunkingOptions } from './options'
export type { ChunkingErrorReason } from '../../protocol/chunking'
