// Which link targets may become live links. Rule EDIT-2 in docs/SPEC.md: only http, https and
// mailto. Everything else (javascript:, data:, vbscript:, file:, relative or protocol-less
// strings) is refused so that no pasted or synced document can plant an executable link.
const ALLOWED_PROTOCOLS = new Set(['http:', 'https:', 'mailto:'])

export function isSafeLinkHref(href: string): boolean {
  const trimmed = href.trim()
  // Control characters can hide a scheme from naive checks (`java\nscript:`).
  // eslint-disable-next-line no-control-regex
  if (trimmed === '' || /[\u0000-\u001f\u007f]/.test(trimmed)) return false
  let url: URL
  try {
    url = new URL(trimmed)
  } catch {
    return false
  }
  return ALLOWED_PROTOCOLS.has(url.protocol)
}
