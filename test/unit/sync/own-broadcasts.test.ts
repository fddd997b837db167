import * as bc from 'lib0/broadcastchannel'
import { describe, expect, it } from 'vitest'
import { ignoreOwnBroadcasts, type BroadcastRoom } from '../../../src/sync/own-broadcasts'

/** How long a poll waits for what the test expects (the project's default is 1 s). */
const WAIT = { timeout: 10_000 }

// Node has BroadcastChannel, so lib0's broadcastchannel behaves here as in a browser tab: its
// publish() calls this realm's subscribers synchronously, and another BroadcastChannel object of
// the same name stands in for another tab. That y-webrtc's rooms still have the fields the filter
// relies on is checked in ywebrtc-internals.test.ts.

/** A room as y-webrtc builds it, subscribed the way its connect() does; records what it hears. */
function fakeRoom(name: string): BroadcastRoom & { heard: string[] } {
  const heard: string[] = []
  const room = {
    name,
    bcconnected: true,
    heard,
    _bcSubscriber: (data: ArrayBuffer, origin: unknown): void => {
      heard.push(`${new TextDecoder().decode(data)} from ${String(origin)}`)
    },
  }
  bc.subscribe(name, room._bcSubscriber)
  return room
}

const bytes = (text: string): ArrayBuffer => new TextEncoder().encode(text).buffer

describe('own broadcasts', () => {
  it('[SYNC-2] control: without the filter a room hears its own broadcasts', () => {
    const room = fakeRoom('own-broadcasts-control')
    bc.publish(room.name, bytes('mine'))
    expect(room.heard).toEqual(['mine from null'])
    bc.unsubscribe(room.name, room._bcSubscriber)
  })

  it("[SYNC-2] a tab ignores its own broadcasts and still hears other tabs', across reconnects", async () => {
    const room = fakeRoom('own-broadcasts-filtered')
    const otherTab = new BroadcastChannel(room.name)
    try {
      ignoreOwnBroadcasts(room)
      bc.publish(room.name, bytes('mine'))
      expect(room.heard).toEqual([])
      otherTab.postMessage(bytes('theirs'))
      await expect
        .poll(() => room.heard, { message: 'the other tab is heard', ...WAIT })
        .toHaveLength(1)
      expect(room.heard).toEqual(['theirs from broadcastchannel'])

      // y-webrtc's disconnect() and connect() use whatever `_bcSubscriber` holds.
      bc.unsubscribe(room.name, room._bcSubscriber)
      bc.subscribe(room.name, room._bcSubscriber)
      bc.publish(room.name, bytes('mine again'))
      otherTab.postMessage(bytes('theirs again'))
      await expect
        .poll(() => room.heard, { message: 'the other tab is heard again', ...WAIT })
        .toHaveLength(2)
      expect(room.heard).toEqual([
        'theirs from broadcastchannel',
        'theirs again from broadcastchannel',
      ])
    } finally {
      otherTab.close()
      bc.unsubscribe(room.name, room._bcSubscriber)
    }
  })
})
