/** A 1-based line and column in a text. */
export interface TextPosition {
  readonly line: number
  readonly column: number
}

function positionAt(text: string, offset: number): TextPosition {
  let line = 1
  let lineStart = 0
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) === 10) {
      line++
      lineStart = i + 1
    }
  }
  return { line, column: offset - lineStart + 1 }
}

/** `/a~1b/0` -> ['a/b', '0'] (RFC 6901). */
function pointerTokens(pointer: string): string[] {
  if (pointer === '') return []
  return pointer
    .split('/')
    .slice(1)
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'))
}

/**
 * Where the value at a JSON pointer starts in `text` (or, with `key`, where that member's
 * key starts, for "unknown field" errors). Undefined when the text is not valid JSON or
 * the pointer is not in it. A scanner, not a parser: it skips what it does not descend into.
 */
export function jsonPointerPosition(
  text: string,
  pointer: string,
  options: { readonly key?: string } = {},
): TextPosition | undefined {
  const tokens = pointerTokens(pointer)
  if (options.key !== undefined) tokens.push(options.key)
  let i = 0
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++
  }
  const string = (): string | undefined => {
    if (text[i] !== '"') return undefined
    const start = i
    i++
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1
    i++
    try {
      return JSON.parse(text.slice(start, i)) as string
    } catch {
      return undefined
    }
  }
  /** Skips one value; false on malformed text. */
  const skip = (): boolean => {
    ws()
    const c = text[i]
    if (c === '"') return string() !== undefined
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']'
      i++
      ws()
      if (text[i] === close) {
        i++
        return true
      }
      for (;;) {
        if (c === '{') {
          ws()
          if (string() === undefined) return false
          ws()
          if (text[i++] !== ':') return false
        }
        if (!skip()) return false
        ws()
        if (text[i] === ',') i++
        else if (text[i] === close) {
          i++
          return true
        } else return false
      }
    }
    const literal = /^(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i))
    if (literal === null) return false
    i += literal[0].length
    return true
  }
  for (let depth = 0; ; depth++) {
    ws()
    if (depth === tokens.length) return i < text.length ? positionAt(text, i) : undefined
    const token = tokens[depth]!
    const last = depth === tokens.length - 1
    const c = text[i]
    if (c === '{') {
      i++
      let found = false
      for (ws(); text[i] !== '}' && i < text.length; ws()) {
        const keyStart = i
        const name = string()
        if (name === undefined) return undefined
        ws()
        if (text[i++] !== ':') return undefined
        if (name === token) {
          if (last && options.key !== undefined) return positionAt(text, keyStart)
          found = true
          break
        }
        if (!skip()) return undefined
        ws()
        if (text[i] === ',') i++
      }
      if (!found) return undefined
    } else if (c === '[') {
      if (!/^\d+$/.test(token)) return undefined
      i++
      for (let index = 0; index < Number(token); index++) {
        if (!skip()) return undefined
        ws()
        if (text[i++] !== ',') return undefined
      }
      ws()
      if (text[i] === ']') return undefined
    } else {
      return undefined
    }
  }
}

/** The position V8 names in a JSON.parse SyntaxError (`... (line 3 column 5)` or `at position 25`). */
export function jsonSyntaxErrorPosition(text: string, error: unknown): TextPosition | undefined {
  const message = (error as Error)?.message ?? ''
  const lineColumn = /\(line (\d+) column (\d+)\)/.exec(message)
  if (lineColumn) return { line: Number(lineColumn[1]), column: Number(lineColumn[2]) }
  const position = /at position (\d+)/.exec(message)
  if (position) return positionAt(text, Math.min(Number(position[1]), text.length))
  return undefined
}
