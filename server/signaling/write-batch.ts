// Coalesces the frames written to each socket during one turn of the event loop into a single
// write. Under fan-out every publish writes to every subscriber; without batching each frame is
// one writev system call, which is most of the relay's cost per delivered message. A socket is
// corked at its first frame of the turn and uncorked once the turn's I/O callbacks have run
// (setImmediate), so a busy server sends many frames per call and an idle one adds no delay
// beyond the current turn. Order is kept: corking only buffers, and ws's own frames (pongs,
// close frames) written in between queue behind ours in the same buffer.
import type { Writable } from 'node:stream'

export class WriteBatcher {
  private readonly corked = new Set<Writable>()
  private scheduled = false

  write(socket: Writable, frame: Buffer): void {
    if (!this.corked.has(socket)) {
      socket.cork()
      this.corked.add(socket)
      if (!this.scheduled) {
        this.scheduled = true
        setImmediate(this.flush)
      }
    }
    socket.write(frame)
  }

  /** Sockets currently holding frames for the end of the turn (for tests). */
  get pending(): number {
    return this.corked.size
  }

  private readonly flush = (): void => {
    this.scheduled = false
    // uncork() on a socket destroyed meanwhile is a no-op; its buffered frames are dropped
    // with it, as they would have been by a failed write.
    for (const socket of this.corked) socket.uncork()
    this.corked.clear()
  }
}
