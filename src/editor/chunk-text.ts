import type { Node as PMNode } from '@tiptap/pm/model'

// The plain text a chunk shows while it is not rendered (lazy-chunks.ts): one line per textblock,
// a hard break as a line break. It is there so that find-in-page finds text the editor has not
// rendered yet, and so that a match found there (the DOM selection inside that text) can be turned
// into the editor's position of the same characters.

/** A text node of the chunk: where its characters start in the text and in the chunk. */
interface Run {
  /** Offset of its first character in `text`. */
  readonly at: number
  /** Its position relative to the start of the chunk's content. */
  readonly pos: number
  readonly length: number
}

interface ChunkText {
  readonly text: string
  readonly runs: readonly Run[]
}

function layout(chunk: PMNode): ChunkText {
  const parts: string[] = []
  const runs: Run[] = []
  let at = 0
  let first = true
  const push = (s: string): void => {
    parts.push(s)
    at += s.length
  }
  chunk.descendants((node, pos) => {
    if (node.isTextblock) {
      if (!first) push('\n')
      first = false
    } else if (node.isText) {
      const text = node.text ?? ''
      runs.push({ at, pos, length: text.length })
      push(text)
    } else if (node.type.name === 'hardBreak') push('\n')
    return true
  })
  return { text: parts.join(''), runs }
}

/** The chunk's text as its placeholder shows it. */
export function chunkText(chunk: PMNode): string {
  return layout(chunk).text
}

/**
 * The position, relative to the start of the chunk's content, of the character at `offset` of
 * `chunkText(chunk)`. An offset on a line break or an empty line maps to the end of the text
 * before it (the start of the chunk's first text if there is none).
 */
export function positionOfOffset(chunk: PMNode, offset: number): number {
  const { runs } = layout(chunk)
  let found: Run | undefined
  for (const run of runs) {
    if (run.at > offset) break
    found = run
  }
  if (found === undefined) return runs[0]?.pos ?? 0
  return found.pos + Math.min(offset - found.at, found.length)
}
