import { waitFor } from '../wait-for.js'
import type { NodePeer } from './index.js'

// Waits for what a user would check: every peer shows the same text, and their state vectors
// agree (same updates applied, not just the same characters by coincidence). On timeout the
// error lists what each peer last showed.
export async function waitForConvergence(
  peers: readonly NodePeer[],
  expected: (text: string) => boolean,
  timeoutMs = 30_000,
): Promise<string> {
  let last: string[] = []
  try {
    return await waitFor(
      `${peers.map((peer) => peer.name).join(', ')} converge`,
      async () => {
        const texts = await Promise.all(peers.map((peer) => peer.getText()))
        const vectors = await Promise.all(peers.map((peer) => peer.getStateVector()))
        last = texts
        const [first] = texts
        if (first === undefined || !expected(first)) return false
        const same = texts.every((text) => text === first) && vectors.every((v) => v === vectors[0])
        return same ? first : false
      },
      { timeoutMs, intervalMs: 100 },
    )
  } catch (error) {
    const shown = peers.map((peer, i) => `  ${peer.name}: ${JSON.stringify(last[i])}`).join('\n')
    throw new Error(`${(error as Error).message}\nlast texts:\n${shown}`)
  }
}

export async function waitForPeers(
  peer: NodePeer,
  count: number,
  timeoutMs = 30_000,
): Promise<void> {
  try {
    await waitFor(
      `${peer.name} has ${count} open WebRTC connection(s)`,
      async () => (await peer.peerCount()) >= count,
      { timeoutMs, intervalMs: 100 },
    )
  } catch (error) {
    throw new Error(
      `${(error as Error).message}\n${peer.name} status: ${JSON.stringify(await peer.status())}` +
        `\n${peer.name} y-webrtc log (tail):\n${peer.output().slice(-3_000)}`,
    )
  }
}
