import { describe, expect, it } from 'vitest'
import { isSafeLinkHref } from '../../../src/editor/link-policy'

describe('link policy', () => {
  it('[EDIT-2] accepts only http, https and mailto', () => {
    for (const ok of [
      'https://example.com',
      'http://example.com/a?b#c',
      'mailto:a@example.com',
      ' https://x.io ',
    ]) {
      expect(isSafeLinkHref(ok), ok).toBe(true)
    }
  })

  it('[EDIT-2] rejects script, data and other schemes, including disguised ones', () => {
    for (const bad of [
      'javascript:alert(1)',
      'JavaScript:alert(1)',
      ' javascript:alert(1)',
      'java\nscript:alert(1)',
      'java\tscript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox(1)',
      'file:///etc/passwd',
      'ftp://example.com',
      '//evil.example',
      '/relative/path',
      'example.com',
      '',
      '   ',
    ]) {
      expect(isSafeLinkHref(bad), JSON.stringify(bad)).toBe(false)
    }
  })
})
