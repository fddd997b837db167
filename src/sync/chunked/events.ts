// A minimal, synchronous EventTarget look-alike: addEventListener / removeEventListener plus the
// `on<type>` handler properties, which is all simple-peer and y-webrtc use. Written here rather
// than extending the global EventTarget because Node's and browsers' differ in how they report
// listener exceptions and what Event subclasses they accept.

export interface ChannelEvent<Target> {
  readonly type: string
  readonly target: Target
  readonly currentTarget: Target
  /** `message` events: a string, an ArrayBuffer or (binaryType 'blob') a Blob. */
  readonly data?: unknown
  /** `error` events: the ChunkingError (or the transport's error). */
  readonly error?: unknown
  readonly message?: string
}

export type ChannelListener<Target> =
  ((event: ChannelEvent<Target>) => void) | { handleEvent(event: ChannelEvent<Target>): void }

export type ChannelHandler<Target> = ((event: ChannelEvent<Target>) => void) | null

export class ListenerSet<Target> {
  private readonly byType = new Map<string, Set<ChannelListener<Target>>>()

  add(type: string, listener: ChannelListener<Target> | null | undefined): void {
    if (!listener) return
    let set = this.byType.get(type)
    if (!set) {
      set = new Set()
      this.byType.set(type, set)
    }
    set.add(listener)
  }

  remove(type: string, listener: ChannelListener<Target> | null | undefined): void {
    if (listener) this.byType.get(type)?.delete(listener)
  }

  /**
   * Calls the listeners of `event.type`, then `handler`. A listener that throws does not stop the
   * others or corrupt the caller's state: its exception is rethrown on a fresh microtask, where
   * it is reported as uncaught (a bug in the listener, visible as such).
   */
  dispatch(event: ChannelEvent<Target>, handler: ChannelHandler<Target>): void {
    const listeners = [...(this.byType.get(event.type) ?? [])]
    for (const listener of listeners) {
      invoke(() => {
        if (typeof listener === 'function') listener.call(event.target, event)
        else listener.handleEvent(event)
      })
    }
    if (typeof handler === 'function') invoke(() => handler.call(event.target, event))
  }
}

function invoke(call: () => void): void {
  try {
    call()
  } catch (error) {
    queueMicrotask(() => {
      throw error
    })
  }
}
