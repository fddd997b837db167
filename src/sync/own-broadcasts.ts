import * as bc from 'lib0/broadcastchannel'

// y-webrtc talks to other tabs through lib0's broadcastchannel, whose `publish` also calls every
// subscriber in the publishing tab itself, synchronously. y-webrtc's room subscribes to its own
// channel, so everything it broadcasts comes straight back to it: each update it sends (its own
// edits, and every update received from a WebRTC peer, which it relays to the other tabs) is
// encrypted, decrypted again and re-applied to the document it came from. That is a no-op for
// the document but not for the CPU: a new peer receiving a 289 KB document decoded and applied
// it a second time (~35 ms, in B3), and a 20 MB state twice over. Its own sync step 1 also came
// back and was answered with a second broadcast of the whole state.
//
// A room has at most one provider per JS realm ("room already exists"), so a message from this
// tab is never news to it: only messages from other tabs (lib0 marks those with the origin
// 'broadcastchannel', for BroadcastChannel and its localStorage fallback alike) are let through.

/** The parts of y-webrtc's Room this needs; its typings do not expose them. */
export interface BroadcastRoom {
  readonly name: string
  readonly bcconnected: boolean
  _bcSubscriber: (data: ArrayBuffer, origin: unknown) => unknown
}

/** lib0's origin for a message that came from another tab. */
const FROM_OTHER_TAB = 'broadcastchannel'

/**
 * Makes `room` ignore its own broadcasts. y-webrtc reads `_bcSubscriber` on every connect and
 * disconnect, so replacing it keeps working across pauses; if the room is already subscribed the
 * filtered subscriber is added before the original is removed, so lib0 never closes the channel.
 */
export function ignoreOwnBroadcasts(room: BroadcastRoom): void {
  const original = room._bcSubscriber
  const filtered = (data: ArrayBuffer, origin: unknown): unknown =>
    origin === FROM_OTHER_TAB ? original(data, origin) : undefined
  room._bcSubscriber = filtered
  if (room.bcconnected) {
    bc.subscribe(room.name, filtered)
    bc.unsubscribe(room.name, original)
  }
}
