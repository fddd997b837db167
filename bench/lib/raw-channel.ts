import type { Page } from 'playwright-core'
import type { AppRig } from './app'

// The baseline for B3 and B4: a raw RTCDataChannel between two pages, each in its own browser
// context, exactly as two app peers are placed; SDP (with all candidates gathered) is handed
// across by this process instead of a signaling server. Both pages keep the channel as
// `globalThis.__mpChannel`. Times are wall-clock (performance.timeOrigin + performance.now()),
// which all pages of one machine share.

export interface RawPair {
  readonly a: Page
  readonly b: Page
}

export async function openRawPair(rig: AppRig): Promise<RawPair> {
  const [{ page: a }, { page: b }] = await Promise.all([rig.person(), rig.person()])
  await Promise.all([a.goto(`${rig.appUrl}/favicon.svg`), b.goto(`${rig.appUrl}/favicon.svg`)])
  const setup = (initiator: boolean): Promise<string> => {
    const g = globalThis as unknown as { __mpPc: RTCPeerConnection; __mpChannel: RTCDataChannel }
    const pc = new RTCPeerConnection({ iceServers: [] })
    g.__mpPc = pc
    if (initiator) {
      g.__mpChannel = pc.createDataChannel('raw', { ordered: true })
      g.__mpChannel.binaryType = 'arraybuffer'
    } else {
      pc.ondatachannel = (event) => {
        g.__mpChannel = event.channel
        g.__mpChannel.binaryType = 'arraybuffer'
      }
    }
    return Promise.resolve('')
  }
  await a.evaluate(setup, true)
  await b.evaluate(setup, false)
  const describe = (remote: string | null): Promise<string> => {
    const pc = (globalThis as unknown as { __mpPc: RTCPeerConnection }).__mpPc
    return (async () => {
      if (remote !== null)
        await pc.setRemoteDescription(JSON.parse(remote) as RTCSessionDescriptionInit)
      const local = remote === null ? await pc.createOffer() : await pc.createAnswer()
      await pc.setLocalDescription(local)
      await new Promise<void>((resolve) => {
        if (pc.iceGatheringState === 'complete') return resolve()
        pc.addEventListener('icegatheringstatechange', () => {
          if (pc.iceGatheringState === 'complete') resolve()
        })
      })
      return JSON.stringify(pc.localDescription)
    })()
  }
  const offer = await a.evaluate(describe, null)
  const answer = await b.evaluate(describe, offer)
  await a.evaluate(async (remote) => {
    const pc = (globalThis as unknown as { __mpPc: RTCPeerConnection }).__mpPc
    await pc.setRemoteDescription(JSON.parse(remote) as RTCSessionDescriptionInit)
  }, answer)
  const open = (): Promise<boolean> =>
    new Promise((resolve) => {
      const started = Date.now()
      const check = (): void => {
        const channel = (globalThis as unknown as { __mpChannel?: RTCDataChannel }).__mpChannel
        if (channel?.readyState === 'open') resolve(true)
        else if (Date.now() - started > 30_000) resolve(false)
        else setTimeout(check, 10)
      }
      check()
    })
  const opened = await Promise.all([a.evaluate(open), b.evaluate(open)])
  if (!opened.every(Boolean)) throw new Error('raw data channel did not open within 30 s')
  return { a, b }
}

/**
 * Sends `bytes` zero bytes from a to b in 16 KiB pieces, keeping a's bufferedAmount under 1 MiB
 * (resuming on `bufferedamountlow`), and resolves with the ms from the first send to the last
 * byte's arrival at b.
 */
export async function rawTransfer(pair: RawPair, bytes: number): Promise<number> {
  const arrived = pair.b.evaluate(
    (total) =>
      new Promise<number>((resolve) => {
        const channel = (globalThis as unknown as { __mpChannel: RTCDataChannel }).__mpChannel
        let received = 0
        channel.onmessage = (event: MessageEvent<ArrayBuffer>) => {
          received += event.data.byteLength
          if (received >= total) resolve(performance.timeOrigin + performance.now())
        }
      }),
    bytes,
  )
  const started = await pair.a.evaluate(async (total) => {
    const channel = (globalThis as unknown as { __mpChannel: RTCDataChannel }).__mpChannel
    const piece = new Uint8Array(16 * 1024)
    const HIGH = 1024 * 1024
    channel.bufferedAmountLowThreshold = HIGH / 4
    const start = performance.timeOrigin + performance.now()
    for (let sent = 0; sent < total;) {
      if (channel.bufferedAmount > HIGH) {
        await new Promise<void>((resolve) => {
          channel.onbufferedamountlow = () => resolve()
        })
        continue
      }
      const size = Math.min(piece.byteLength, total - sent)
      channel.send(size === piece.byteLength ? piece : piece.subarray(0, size))
      sent += size
    }
    return start
  }, bytes)
  return (await arrived) - started
}

/** Round trips of a 16-byte message a -> b -> a; resolves with each round trip's ms. */
export async function rawRoundTrips(pair: RawPair, count: number): Promise<number[]> {
  await pair.b.evaluate(() => {
    const channel = (globalThis as unknown as { __mpChannel: RTCDataChannel }).__mpChannel
    channel.onmessage = (event: MessageEvent<ArrayBuffer>) => channel.send(event.data)
  })
  return pair.a.evaluate(async (n) => {
    const channel = (globalThis as unknown as { __mpChannel: RTCDataChannel }).__mpChannel
    const times: number[] = []
    for (let i = 0; i < n; i++) {
      const started = performance.now()
      await new Promise<void>((resolve) => {
        channel.onmessage = () => resolve()
        channel.send(new Uint8Array(16))
      })
      times.push(performance.now() - started)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    return times
  }, count)
}
