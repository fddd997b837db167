import type { Patch } from './trace'

// Replays a plain-text trace as a document of paragraphs, the shape the editor gives it: each
// '\n' of the trace's text is a paragraph boundary. Typing '\n' splits a paragraph, deleting one
// joins two, any other character is text inside a paragraph. A sink receives those edits in
// paragraph terms; the driver keeps the lines so it can say what moves on a split or a join.
//
// ProseMirror positions follow: the text offset `pos` on line `line` sits at PM position
// `pos + line + 1` (every paragraph before it adds an opening and a closing token instead of one
// '\n', and the document's first paragraph opens at 0).

export interface ParagraphSink {
  /** Inserts `text` (no '\n') at `offset` of paragraph `line`; `pos` is its offset in the text. */
  insert(line: number, offset: number, pos: number, text: string): void
  /** Deletes `count` characters (no '\n') at `offset` of paragraph `line`. */
  delete(line: number, offset: number, pos: number, count: number): void
  /** Splits paragraph `line` at `offset`: `tail` moves into a new paragraph `line + 1`. */
  split(line: number, offset: number, pos: number, tail: string): void
  /** Joins paragraph `line + 1` (its text is `moved`) onto the end of paragraph `line`. */
  join(line: number, pos: number, moved: string): void
  /** Called after every patch: one keystroke (one transaction) ends here. */
  endPatch?(index: number): void
}

export class ParagraphReplay {
  readonly lines: string[] = ['']
  // Cursor: the line last located and the text offset of its start. Edits only ever change the
  // line they are on and lines after it, so the cursor stays valid across patches.
  private cursorLine = 0
  private cursorStart = 0

  constructor(private readonly sink: ParagraphSink) {}

  get text(): string {
    return this.lines.join('\n')
  }

  private locate(pos: number): { line: number; start: number } {
    let line = this.cursorLine
    let start = this.cursorStart
    while (pos < start) {
      line -= 1
      start -= (this.lines[line] as string).length + 1
    }
    while (pos > start + (this.lines[line] as string).length) {
      start += (this.lines[line] as string).length + 1
      line += 1
      if (line >= this.lines.length) throw new Error(`position ${pos} is past the end of the text`)
    }
    this.cursorLine = line
    this.cursorStart = start
    return { line, start }
  }

  apply(patch: Patch, index: number): void {
    const [pos, deleted, inserted] = patch
    let remaining = deleted
    while (remaining > 0) {
      const { line, start } = this.locate(pos)
      const current = this.lines[line] as string
      const offset = pos - start
      if (offset < current.length) {
        const count = Math.min(remaining, current.length - offset)
        this.lines[line] = current.slice(0, offset) + current.slice(offset + count)
        this.sink.delete(line, offset, pos, count)
        remaining -= count
      } else {
        const moved = this.lines[line + 1]
        if (moved === undefined) throw new Error(`deleting past the end at ${pos}`)
        this.lines.splice(line, 2, current + moved)
        this.sink.join(line, pos, moved)
        remaining -= 1
      }
    }
    let at = pos
    const pieces = inserted.split('\n')
    pieces.forEach((piece, i) => {
      if (i > 0) {
        const { line, start } = this.locate(at)
        const current = this.lines[line] as string
        const offset = at - start
        const tail = current.slice(offset)
        this.lines.splice(line, 1, current.slice(0, offset), tail)
        this.sink.split(line, offset, at, tail)
        at += 1
      }
      if (piece === '') return
      const { line, start } = this.locate(at)
      const current = this.lines[line] as string
      const offset = at - start
      this.lines[line] = current.slice(0, offset) + piece + current.slice(offset)
      this.sink.insert(line, offset, at, piece)
      at += piece.length
    })
    this.sink.endPatch?.(index)
  }

  run(patches: readonly Patch[], from = 0, to = patches.length): void {
    for (let i = from; i < to; i++) this.apply(patches[i] as Patch, i)
  }
}

/** The PM position of text offset `pos` on paragraph `line`. */
export function pmPos(pos: number, line: number): number {
  return pos + line + 1
}

/**
 * ProseMirror edits of a trace, one array per patch (one keystroke), for replay in the browser:
 * `[0, from, text]` insert, `[1, from, to]` delete, `[2, at]` split the paragraph at `at`.
 * A join is a delete across the paragraph boundary, `[1, end, end + 2]`.
 */
export type PmOp =
  readonly [0, number, string] | readonly [1, number, number] | readonly [2, number]

export function toPmOps(patches: readonly Patch[]): PmOp[][] {
  const out: PmOp[][] = []
  let current: PmOp[] = []
  const replay = new ParagraphReplay({
    insert: (line, _offset, pos, text) => current.push([0, pmPos(pos, line), text]),
    delete: (line, _offset, pos, count) =>
      current.push([1, pmPos(pos, line), pmPos(pos, line) + count]),
    split: (line, _offset, pos) => current.push([2, pmPos(pos, line)]),
    join: (line, pos) => current.push([1, pmPos(pos, line), pmPos(pos, line) + 2]),
    endPatch: () => {
      out.push(current)
      current = []
    },
  })
  replay.run(patches)
  return out
}
