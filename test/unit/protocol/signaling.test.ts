import { describe, expect, it } from 'vitest'
import {
  CLOSE_CODES,
  CLOSE_REASONS,
  closeReasonOf,
  closeText,
  MAX_CLOSE_REASON_BYTES,
} from '../../../src/protocol/close-codes'
import { parseClientFrame, PONG_TEXT, relayText } from '../../../src/protocol/signaling'

const limits = { maxTopicsPerFrame: 3, maxTopicLength: 8 }
const parse = (value: unknown): ReturnType<typeof parseClientFrame> =>
  parseClientFrame(typeof value === 'string' ? value : JSON.stringify(value), limits)

describe('signaling frames', () => {
  it('[SIG-1] parses the four frames y-webrtc sends', () => {
    expect(parse({ type: 'subscribe', topics: ['a', 'b'] })).toEqual({
      ok: true,
      frame: { type: 'subscribe', topics: ['a', 'b'] },
    })
    expect(parse({ type: 'unsubscribe', topics: ['a'] })).toEqual({
      ok: true,
      frame: { type: 'unsubscribe', topics: ['a'] },
    })
    const publish = JSON.stringify({ type: 'publish', topic: 'a', data: { type: 'announce' } })
    expect(parse(publish)).toEqual({
      ok: true,
      frame: { type: 'publish', topic: 'a', text: publish },
    })
    expect(parse({ type: 'ping' })).toEqual({ ok: true, frame: { type: 'ping' } })
    expect(JSON.parse(PONG_TEXT)).toEqual({ type: 'pong' })
  })

  it('[SIG-4] drops empty topic names instead of failing', () => {
    expect(parse({ type: 'subscribe', topics: ['', 'a', ''] })).toEqual({
      ok: true,
      frame: { type: 'subscribe', topics: ['a'] },
    })
    expect(parse({ type: 'publish', topic: '' })).toMatchObject({
      ok: true,
      frame: { type: 'publish', topic: null },
    })
  })

  it.each([
    ['{"type":"subscribe"', 'malformed-json'],
    ['', 'malformed-json'],
    ['\u0000\u00ff', 'malformed-json'],
    ['null', 'not-an-object'],
    ['42', 'not-an-object'],
    ['"ping"', 'not-an-object'],
    ['[{"type":"ping"}]', 'not-an-object'],
    ['{}', 'bad-field'],
    ['{"type":7}', 'bad-field'],
    ['{"type":"hello"}', 'unknown-type'],
    ['{"type":"__proto__"}', 'unknown-type'],
    ['{"type":"subscribe"}', 'bad-field'],
    ['{"type":"subscribe","topics":"a"}', 'bad-field'],
    ['{"type":"subscribe","topics":[1]}', 'bad-field'],
    ['{"type":"subscribe","topics":[null]}', 'bad-field'],
    ['{"type":"unsubscribe","topics":{"0":"a"}}', 'bad-field'],
    ['{"type":"publish"}', 'bad-field'],
    ['{"type":"publish","topic":["a"]}', 'bad-field'],
    ['{"type":"subscribe","topics":["a","b","c","d"]}', 'too-many-topics'],
    ['{"type":"subscribe","topics":["123456789"]}', 'topic-too-long'],
    ['{"type":"publish","topic":"123456789"}', 'topic-too-long'],
  ])('[SIG-3] rejects %j as %s', (text, error) => {
    expect(parseClientFrame(text, limits)).toEqual({ ok: false, error })
  })

  it('[SIG-2] relays a publish verbatim with clients added, overriding a forged clients field', () => {
    const text = '{"type":"publish","topic":"a","data":"x"}'
    expect(relayText(text, 3)).toBe('{"type":"publish","topic":"a","data":"x","clients":3}')
    expect(JSON.parse(relayText(`${text}  \n`, 2))).toEqual({
      type: 'publish',
      topic: 'a',
      data: 'x',
      clients: 2,
    })
    const forged = '{"type":"publish","topic":"a","clients":999}'
    expect(JSON.parse(relayText(forged, 1))).toMatchObject({ clients: 1 })
  })
})

describe('close codes', () => {
  it('[SIG-11] form one closed set: one code per reason, codes map back', () => {
    const codes = CLOSE_REASONS.map((reason) => CLOSE_CODES[reason])
    expect(new Set(codes).size).toBe(codes.length)
    for (const reason of CLOSE_REASONS) expect(closeReasonOf(CLOSE_CODES[reason])).toBe(reason)
    expect(closeReasonOf(1000)).toBeUndefined()
    expect(CLOSE_CODES['going-away']).toBe(1001)
  })

  it('[SIG-11] close texts start with the reason and fit a close frame', () => {
    expect(closeText('bad-frame', 'unknown-type')).toBe('bad-frame: unknown-type')
    expect(closeText('rate-limited')).toBe('rate-limited')
    expect(closeText('bad-frame', 'x'.repeat(500)).length).toBe(MAX_CLOSE_REASON_BYTES)
  })
})
