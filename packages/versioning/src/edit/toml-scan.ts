import { VersioningError } from '../errors.ts'

/** Where a value lives in a document: table and key names, array indices. */
export type ValuePath = readonly (string | number)[]

/** One scalar value of a TOML document and the exact source span holding it. */
export interface TomlSpan {
  readonly path: ValuePath
  /** Offsets of the value's source text, `[start, end)`, quotes included. */
  readonly start: number
  readonly end: number
  /** The string delimiter (`"`, `'`, `"""`, `'''`); absent for numbers, booleans and dates. */
  readonly quote?: string
}

const BARE_KEY = /[A-Za-z0-9_-]+/y
const BARE_VALUE = /[^\s,\]}#]+/y
const TIME_AFTER_DATE = / \d{2}:/y
const ESCAPES: Readonly<Record<string, string>> = {
  b: '\b',
  t: '\t',
  n: '\n',
  f: '\f',
  r: '\r',
  e: '\x1b',
  '"': '"',
  '\\': '\\',
}

/**
 * Lists every scalar value of a TOML document with its source span, so a value can be
 * replaced without touching a byte around it. It recognizes TOML's structure (tables,
 * arrays of tables, dotted keys, inline tables, arrays, all four string forms) and leaves
 * semantic validation to a real parser; `file` names the document in errors.
 */
export function scanToml(text: string, file: string): TomlSpan[] {
  const spans: TomlSpan[] = []
  const arrayTables = new Map<string, number>()
  let table: (string | number)[] = []
  let i = 0

  const fail = (what: string): never => {
    const line = text.slice(0, i).split('\n').length
    throw new VersioningError('VERSION_MANIFEST_INVALID', `${file}:${line}: not valid TOML: ${what}`, {
      hint: 'fix the file so that cargo/pip accept it, then run again',
    })
  }
  const skipBlanks = () => {
    while (text[i] === ' ' || text[i] === '\t') i++
  }
  const skipComment = () => {
    if (text[i] === '#') while (i < text.length && text[i] !== '\n') i++
  }
  const skipBlankLines = () => {
    for (;;) {
      skipBlanks()
      skipComment()
      if (text[i] === '\n') i++
      else if (text[i] === '\r' && text[i + 1] === '\n') i += 2
      else return
    }
  }
  const endOfLine = () => {
    skipBlanks()
    skipComment()
    if (i < text.length && text[i] !== '\n' && !(text[i] === '\r' && text[i + 1] === '\n')) {
      fail(`unexpected "${text[i]}"`)
    }
  }
  const expect = (token: string) => {
    if (!text.startsWith(token, i)) fail(`expected "${token}"`)
    i += token.length
  }

  /** Offset just past the closing delimiter of the string starting at `i`. */
  const stringEnd = (quote: string): number => {
    const multiline = quote.length === 3
    let j = i + quote.length
    for (;;) {
      if (j >= text.length) return fail('unterminated string')
      const c = text[j]
      if (c === '\\' && quote[0] === '"') j += 2
      else if (text.startsWith(quote, j)) {
        let end = j + quote.length
        // A multi-line string may end with up to two more quote characters of content.
        while (multiline && text[end] === quote[0] && end - j - quote.length < 2) end++
        return end
      } else if (c === '\n' && !multiline) return fail('newline in a single-line string')
      else j++
    }
  }
  const quoteAt = (): string | undefined =>
    ['"""', "'''", '"', "'"].find((quote) => text.startsWith(quote, i))

  const parseKey = (): string[] => {
    const keys: string[] = []
    for (;;) {
      skipBlanks()
      const quote = quoteAt()
      if (quote === '"' || quote === "'") {
        const end = stringEnd(quote)
        const body = text.slice(i + 1, end - 1)
        keys.push(quote === '"' ? unescapeBasic(body, fail) : body)
        i = end
      } else {
        BARE_KEY.lastIndex = i
        const match = BARE_KEY.exec(text)
        if (match === null) return fail('expected a key')
        keys.push(match[0])
        i = BARE_KEY.lastIndex
      }
      skipBlanks()
      if (text[i] !== '.') return keys
      i++
    }
  }

  const parseValue = (path: (string | number)[]): void => {
    const quote = quoteAt()
    if (quote !== undefined) {
      const end = stringEnd(quote)
      spans.push({ path, start: i, end, quote })
      i = end
    } else if (text[i] === '[') {
      i++
      for (let index = 0; ; index++) {
        skipBlankLines()
        if (text[i] === ']') break
        parseValue([...path, index])
        skipBlankLines()
        if (text[i] === ',') i++
        else if (text[i] !== ']') fail('expected "," or "]" in an array')
      }
      i++
    } else if (text[i] === '{') {
      i++
      skipBlankLines()
      while (text[i] !== '}') {
        const keys = parseKey()
        expect('=')
        skipBlanks()
        parseValue([...path, ...keys])
        skipBlankLines()
        if (text[i] === ',') {
          i++
          skipBlankLines()
        } else if (text[i] !== '}') fail('expected "," or "}" in an inline table')
      }
      i++
    } else {
      BARE_VALUE.lastIndex = i
      const match = BARE_VALUE.exec(text) ?? fail('expected a value')
      let end = BARE_VALUE.lastIndex
      TIME_AFTER_DATE.lastIndex = end
      if (/^\d{4}-\d{2}-\d{2}$/.test(match[0]) && TIME_AFTER_DATE.test(text)) {
        BARE_VALUE.lastIndex = end + 1
        BARE_VALUE.exec(text)
        end = BARE_VALUE.lastIndex
      }
      spans.push({ path, start: i, end })
      i = end
    }
  }

  /** A header's key path, with the current index of every array of tables it passes through. */
  const resolveHeader = (keys: readonly string[], arrayOfTables: boolean): (string | number)[] => {
    const path: (string | number)[] = []
    keys.forEach((key, n) => {
      path.push(key)
      const index = arrayTables.get(JSON.stringify(path))
      const last = n === keys.length - 1
      if (index !== undefined && !(last && arrayOfTables)) path.push(index)
    })
    if (arrayOfTables) {
      const id = JSON.stringify(path)
      const index = (arrayTables.get(id) ?? -1) + 1
      arrayTables.set(id, index)
      path.push(index)
    }
    return path
  }

  for (;;) {
    skipBlankLines()
    if (i >= text.length) return spans
    if (text[i] === '[') {
      const arrayOfTables = text[i + 1] === '['
      i += arrayOfTables ? 2 : 1
      const keys = parseKey()
      expect(arrayOfTables ? ']]' : ']')
      table = resolveHeader(keys, arrayOfTables)
    } else {
      const keys = parseKey()
      expect('=')
      skipBlanks()
      parseValue([...table, ...keys])
    }
    endOfLine()
  }
}

function unescapeBasic(body: string, fail: (what: string) => never): string {
  return body.replace(/\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)/g, (_, sequence: string) => {
    if (sequence.length > 1) return String.fromCodePoint(Number.parseInt(sequence.slice(1), 16))
    return ESCAPES[sequence] ?? fail(`unknown escape "\\${sequence}"`)
  })
}
