import { isDeepStrictEqual } from 'node:util'

/** Where a JSON value sits in the text, with the members or items of objects and arrays. */
interface JsonNode {
  readonly start: number
  readonly end: number
  readonly kind: 'object' | 'array' | 'scalar'
  readonly members: readonly { readonly key: string; readonly keyStart: number; readonly value: JsonNode }[]
  readonly items: readonly JsonNode[]
}

/** A minimal JSON scanner that records positions; the text was already accepted by JSON.parse. */
function scan(text: string): JsonNode {
  let i = 0
  const space = () => {
    while (/\s/.test(text[i] ?? '')) i++
  }
  const string = () => {
    i++
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1
    i++
  }
  const value = (): JsonNode => {
    space()
    const start = i
    const open = text[i]
    if (open === '{' || open === '[') {
      i++
      const members: { key: string; keyStart: number; value: JsonNode }[] = []
      const items: JsonNode[] = []
      space()
      while (text[i] !== (open === '{' ? '}' : ']')) {
        if (open === '{') {
          const keyStart = i
          string()
          const key = JSON.parse(text.slice(keyStart, i)) as string
          space()
          i++ // :
          members.push({ key, keyStart, value: value() })
        } else items.push(value())
        space()
        if (text[i] === ',') i++
        space()
      }
      i++
      return { start, end: i, kind: open === '{' ? 'object' : 'array', members, items }
    }
    if (open === '"') string()
    else while (i < text.length && !/[\s,\]}]/.test(text[i]!)) i++
    return { start, end: i, kind: 'scalar', members: [], items: [] }
  }
  return value()
}

/** The indentation unit of a JSON file: its first indented line's leading whitespace, else two spaces. */
export function indentUnit(text: string): string {
  return /^([ \t]+)\S/m.exec(text)?.[1] ?? '  '
}

function lineIndent(text: string, at: number): string {
  const lineStart = text.lastIndexOf('\n', at - 1) + 1
  return /^[ \t]*/.exec(text.slice(lineStart))?.[0] ?? ''
}

function nodeAt(root: JsonNode, path: readonly string[]): JsonNode | undefined {
  let node: JsonNode | undefined = root
  for (const key of path) node = node?.members.find((m) => m.key === key)?.value
  return node
}

/**
 * JSON as people write package.json: one member per line, short lists of scalars on one
 * line (`"platforms": ["linux/amd64", "linux/arm64"]`), `indent` before continuation lines.
 */
export function formatJson(value: unknown, unit = '  ', indent = ''): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]'
    const inline = `[${value.map((item) => JSON.stringify(item)).join(', ')}]`
    if (value.every((item) => typeof item !== 'object' || item === null) && inline.length <= 80) return inline
    const inner = indent + unit
    return `[\n${value.map((item) => inner + formatJson(item, unit, inner)).join(',\n')}\n${indent}]`
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
    if (entries.length === 0) return '{}'
    const inner = indent + unit
    const lines = entries.map(
      ([key, item]) => `${inner}${JSON.stringify(key)}: ${formatJson(item, unit, inner)}`,
    )
    return `{\n${lines.join(',\n')}\n${indent}}`
  }
  return JSON.stringify(value)
}

/** `value` for an insertion: compact when the container is written inline (`indent` undefined). */
function render(value: unknown, unit: string, indent: string | undefined): string {
  return indent === undefined ? JSON.stringify(value) : formatJson(value, unit, indent)
}

/**
 * Inserts `text` into the container at `node` after its last entry, in the file's own
 * layout: on a new line when entries are one per line, inline when the container is.
 */
function insertInto(text: string, node: JsonNode, entry: (indent: string | undefined) => string): string {
  const unit = indentUnit(text)
  const eol = text.includes('\r\n') ? '\r\n' : '\n'
  const splice = (at: number, inserted: string, resume = at) =>
    `${text.slice(0, at)}${inserted.replaceAll('\n', eol)}${text.slice(resume)}`
  const last = node.kind === 'object' ? node.members.at(-1) : node.items.at(-1)
  if (last === undefined && !text.includes('\n')) return splice(node.start + 1, entry(undefined))
  if (last === undefined) {
    const outer = lineIndent(text, node.start)
    return splice(node.start + 1, `\n${outer}${unit}${entry(outer + unit)}\n${outer}`, node.end - 1)
  }
  const lastStart = 'keyStart' in last ? last.keyStart : last.start
  const lastEnd = 'value' in last ? last.value.end : last.end
  if (!text.slice(node.start, lastStart).includes('\n')) return splice(lastEnd, `, ${entry(undefined)}`)
  const indent = lineIndent(text, lastStart)
  return splice(lastEnd, `,\n${indent}${entry(indent)}`)
}

function checked(after: string, expected: unknown, file: string): string {
  if (!isDeepStrictEqual(JSON.parse(after), expected)) {
    throw new Error(`${file}: JSON edit produced something other than the intended addition`)
  }
  return after
}

/**
 * Adds member `key` to the object at `path` (`[]` = the top level), changing no other
 * byte of the file. The object must exist and lack `key`.
 */
export function addJsonMember(
  text: string,
  file: string,
  path: readonly string[],
  key: string,
  value: unknown,
): string {
  const node = nodeAt(scan(text), path)
  if (node?.kind !== 'object') throw new Error(`${file}: ${path.join('.') || '(top level)'} is not an object`)
  const unit = indentUnit(text)
  const after = insertInto(text, node, (indent) => `${JSON.stringify(key)}: ${render(value, unit, indent)}`)
  const expected = JSON.parse(text) as Record<string, unknown>
  let target = expected
  for (const part of path) target = target[part] as Record<string, unknown>
  target[key] = value
  return checked(after, expected, file)
}

/** Appends `value` to the array at `path`, changing no other byte of the file. */
export function appendJsonItem(text: string, file: string, path: readonly string[], value: unknown): string {
  const node = nodeAt(scan(text), path)
  if (node?.kind !== 'array') throw new Error(`${file}: ${path.join('.')} is not an array`)
  const unit = indentUnit(text)
  const after = insertInto(text, node, (indent) => render(value, unit, indent))
  const expected = JSON.parse(text) as Record<string, unknown>
  let target: unknown = expected
  for (const part of path) target = (target as Record<string, unknown>)[part]
  ;(target as unknown[]).push(value)
  return checked(after, expected, file)
}
