import * as Y from 'yjs'
import { bodyOf, createDoc } from '../../src/doc/model'
import { ParagraphReplay } from './paragraphs'
import type { Patch, Trace } from './trace'

// Trace replays into a Meshpad document (src/doc/model.ts) in Node, as the editor binding
// (y-tiptap) stores a document of paragraphs: the `body` Y.XmlFragment holds one
// Y.XmlElement('paragraph') per paragraph, each with one Y.XmlText child. One Yjs transaction
// per trace patch (one keystroke), with the transaction origin the binding uses left out: it
// changes nothing in the stored bytes.

/** Replays `patches` into `doc`'s body as paragraphs; the body must be empty. */
export function replayParagraphs(doc: Y.Doc, patches: readonly Patch[]): void {
  paragraphReplayer(doc).run(patches, 0, patches.length)
}

export interface ParagraphReplayer {
  /** Applies patches [from, to), one transaction each; call with consecutive ranges. */
  run(patches: readonly Patch[], from: number, to: number): void
  /** The text so far, paragraphs joined by '\n'. */
  text(): string
}

/** Starts a paragraph replay into `doc`, whose body must be empty. */
export function paragraphReplayer(doc: Y.Doc): ParagraphReplayer {
  const body = bodyOf(doc)
  if (body.length !== 0) throw new Error('replayParagraphs: the body is not empty')
  const texts: Y.XmlText[] = []
  const paragraph = (text: string): Y.XmlElement => {
    const element = new Y.XmlElement('paragraph')
    const content = new Y.XmlText()
    if (text !== '') content.insert(0, text)
    element.insert(0, [content])
    return element
  }
  // An empty editor shows one empty paragraph, and the binding writes it into the body.
  doc.transact(() => body.insert(0, [paragraph('')]))
  const first = (body.get(0) as Y.XmlElement).get(0) as Y.XmlText
  texts.push(first)
  const textAt = (line: number): Y.XmlText => texts[line] as Y.XmlText
  const replay = new ParagraphReplay({
    insert: (line, offset, _pos, text) => textAt(line).insert(offset, text),
    delete: (line, offset, _pos, count) => textAt(line).delete(offset, count),
    split: (line, offset, _pos, tail) => {
      if (tail !== '') textAt(line).delete(offset, tail.length)
      const element = paragraph(tail)
      body.insert(line + 1, [element])
      texts.splice(line + 1, 0, element.get(0) as Y.XmlText)
    },
    join: (line, _pos, moved) => {
      const target = textAt(line)
      if (moved !== '') target.insert(target.length, moved)
      body.delete(line + 1, 1)
      texts.splice(line + 1, 1)
    },
  })
  return {
    run(patches, from, to) {
      for (let i = from; i < to; i++) doc.transact(() => replay.apply(patches[i] as Patch, i))
    },
    text: () => replay.text,
  }
}

/** The body's text as the editor's getText({ blockSeparator: '\n' }) gives it. */
export function bodyText(doc: Y.Doc): string {
  const lines: string[] = []
  bodyOf(doc).forEach((node) => {
    if (node instanceof Y.XmlElement) {
      lines.push(
        node
          .toArray()
          .map((child) => (child instanceof Y.XmlText ? String(child.toString()) : ''))
          .join(''),
      )
    }
  })
  return lines.join('\n')
}

export interface TraceState {
  readonly trace: string
  /** Y.encodeStateAsUpdate (V1), what y-webrtc's sync step 2 sends to an empty peer. */
  readonly state: Uint8Array
  readonly stateV2Bytes: number
  readonly text: string
  readonly paragraphs: number
  readonly replayMs: number
}

const states = new Map<string, TraceState>()

/** The trace replayed into a fresh Meshpad document as paragraphs; cached per trace. */
export function traceState(trace: Trace): TraceState {
  const cached = states.get(trace.name)
  if (cached) return cached
  const doc = createDoc()
  const started = performance.now()
  replayParagraphs(doc, trace.patches)
  const replayMs = performance.now() - started
  const text = bodyText(doc)
  if (text !== trace.endContent) throw new Error(`${trace.name}: replay does not match endContent`)
  const result: TraceState = {
    trace: trace.name,
    state: Y.encodeStateAsUpdate(doc),
    stateV2Bytes: Y.encodeStateAsUpdateV2(doc).byteLength,
    text,
    paragraphs: bodyOf(doc).length,
    replayMs,
  }
  doc.destroy()
  states.set(trace.name, result)
  return result
}
