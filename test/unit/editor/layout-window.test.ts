import { describe, expect, it } from 'vitest'
import { nextWindow, windowRule } from '../../../src/editor/layout-window'

describe('layout window', () => {
  it('[EDIT-6] the window spans the radius on both sides of the caret, cut at the first block', () => {
    expect(nextWindow(null, 0, 10)).toEqual({ first: 1, last: 11 })
    expect(nextWindow(null, 49, 10)).toEqual({ first: 40, last: 60 })
  })

  it('[EDIT-6] the window stays while the caret is nearer its middle than half the radius', () => {
    const window = { first: 40, last: 60 }
    for (let index = 44; index <= 54; index++) expect(nextWindow(window, index, 10)).toBeNull()
    expect(nextWindow(window, 43, 10)).toEqual({ first: 34, last: 54 })
    expect(nextWindow(window, 55, 10)).toEqual({ first: 46, last: 66 })
  })

  it('[EDIT-6] a caret in the first nodes, where the window is cut, keeps it: no rule rewritten', () => {
    const window = nextWindow(null, 0, 1)
    expect(window).toEqual({ first: 1, last: 2 })
    expect(nextWindow(window, 0, 1)).toBeNull()
    expect(nextWindow(window, 1, 1)).toEqual({ first: 1, last: 3 })
  })

  it('[EDIT-6] the rule lays out the window and the first and last block', () => {
    expect(windowRule('.e', { first: 3, last: 9 })).toBe(
      '.e > :nth-child(n + 3):nth-child(-n + 9), .e > :first-child, .e > :last-child ' +
        '{ content-visibility: visible; contain: layout style paint; }',
    )
  })
})
