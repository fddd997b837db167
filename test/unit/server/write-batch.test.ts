import { Writable } from 'node:stream'
import { setImmediate as turn } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { WriteBatcher } from '../../../server/signaling/write-batch'

/** A real Writable that records each call to the underlying sink: one entry per "system call". */
function sink(): { stream: Writable; calls: string[][] } {
  const calls: string[][] = []
  const stream = new Writable({
    writev(chunks, done) {
      calls.push(chunks.map(({ chunk }) => String(chunk)))
      done()
    },
    write(chunk, _encoding, done) {
      calls.push([String(chunk)])
      done()
    },
  })
  return { stream, calls }
}

describe('write batching', () => {
  it('[SIG-21] frames written to one socket in one turn leave as one write, in order', async () => {
    const batcher = new WriteBatcher()
    const a = sink()
    for (const n of [1, 2, 3]) batcher.write(a.stream, Buffer.from(`f${n}`))
    // Nothing leaves before the turn ends: that is what lets a busy turn coalesce.
    expect(a.calls).toEqual([])
    expect(batcher.pending).toBe(1)
    await turn()
    expect(a.calls).toEqual([['f1', 'f2', 'f3']])
    expect(batcher.pending).toBe(0)
  })

  it('[SIG-21] keeps sockets apart and starts a fresh batch in the next turn', async () => {
    const batcher = new WriteBatcher()
    const a = sink()
    const b = sink()
    batcher.write(a.stream, Buffer.from('a1'))
    batcher.write(b.stream, Buffer.from('b1'))
    batcher.write(a.stream, Buffer.from('a2'))
    await turn()
    batcher.write(a.stream, Buffer.from('a3'))
    await turn()
    expect(a.calls).toEqual([['a1', 'a2'], ['a3']])
    expect(b.calls).toEqual([['b1']])
  })

  it('[SIG-21] frames written by others meanwhile (pongs, close frames) keep their place', async () => {
    const batcher = new WriteBatcher()
    const a = sink()
    batcher.write(a.stream, Buffer.from('relay1'))
    a.stream.write('pong') // as ws writes its own frames straight to the socket
    batcher.write(a.stream, Buffer.from('relay2'))
    await turn()
    expect(a.calls.flat()).toEqual(['relay1', 'pong', 'relay2'])
  })

  it('[SIG-21] a socket destroyed before the turn ends is skipped without error', async () => {
    const batcher = new WriteBatcher()
    const a = sink()
    const b = sink()
    a.stream.on('error', () => {})
    batcher.write(a.stream, Buffer.from('lost'))
    batcher.write(b.stream, Buffer.from('kept'))
    a.stream.destroy()
    await turn()
    expect(a.calls).toEqual([])
    expect(b.calls).toEqual([['kept']])
  })
})
