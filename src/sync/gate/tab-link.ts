import * as bc from 'lib0/broadcastchannel'
import type { Gate, GateLink } from './gate'

// The gate between tabs of one browser (rule GATE-2): y-webrtc's own BroadcastChannel now
// carries only its shadow document, so the gate opens a channel of its own, named after the room.
// All other tabs of the document are one link: a `want` from one is answered by each of the
// others. It counts as a link (and this tab's changes are signed for it) only once another tab
// answered (GATE-5). lib0's `publish` also calls this tab's own subscribers; only messages
// marked as coming from another tab are read.

const FROM_OTHER_TAB = 'broadcastchannel'

export class TabLink implements GateLink {
  readonly label = 'another tab'
  readonly shared = true
  private readonly channel: string
  private subscribed = false

  constructor(
    topic: string,
    private readonly gate: Gate,
  ) {
    this.channel = `meshpad-gate/${topic}`
  }

  send(bytes: Uint8Array): void {
    if (this.subscribed) bc.publish(this.channel, bytes, this)
  }

  start(): void {
    if (this.subscribed) return
    this.subscribed = true
    bc.subscribe(this.channel, this.onMessage)
    this.gate.open(this)
  }

  stop(): void {
    if (!this.subscribed) return
    this.gate.close(this)
    bc.unsubscribe(this.channel, this.onMessage)
    this.subscribed = false
  }

  private readonly onMessage = (data: unknown, origin: unknown): void => {
    if (origin !== FROM_OTHER_TAB) return
    const bytes =
      data instanceof Uint8Array ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : null
    if (bytes) this.gate.receive(this, bytes)
  }
}
