import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml'
import { HelmError } from '../errors.ts'

/** A parsed YAML file that remembers where every node came from, for `file:line` messages. */
export interface YamlSource {
  /** The path shown in messages. */
  readonly file: string
  readonly document: Document.Parsed
  readonly lines: LineCounter
}

export type YamlPath = readonly (string | number)[]

const UTF8_BOM = '\ufeff'

/**
 * Parses YAML the way Helm reads Chart.yaml and values.yaml (YAML 1.1: `yes`/`on` are
 * booleans, `<<` merges), as a Document so edits keep comments and layout.
 * Syntax errors become HELM_YAML_INVALID at `file:line`.
 */
export function parseYamlSource(text: string, file: string): YamlSource {
  const lines = new LineCounter()
  const source = text.startsWith(UTF8_BOM) ? text.slice(1) : text
  const document = parseDocument(source, {
    version: '1.1',
    merge: true,
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
  })
  const error = document.errors[0]
  if (error !== undefined) {
    const { line, col } = lines.linePos(error.pos[0])
    throw new HelmError('HELM_YAML_INVALID', `${file}:${line}:${col}: invalid YAML: ${error.message}`, {
      file,
      line,
      hint: 'fix the YAML syntax at that line (indentation, quoting, duplicate keys)',
    })
  }
  return { file, document, lines }
}

/**
 * The document as plain data. Aliases are expanded with the yaml library's limit (100
 * alias nodes, its default), so a "billion laughs" values.yaml is HELM_YAML_INVALID
 * instead of exhausting memory.
 */
export function plainValue(source: YamlSource): unknown {
  try {
    return source.document.toJS({ maxAliasCount: 100 })
  } catch (cause) {
    if (!(cause instanceof ReferenceError)) throw cause
    throw new HelmError('HELM_YAML_INVALID', `${source.file}: ${cause.message}`, {
      file: source.file,
      cause,
      hint: 'expand the YAML aliases (&anchor / *alias): the file refers to them more than 100 times',
    })
  }
}

/** The node at `path`, or undefined. */
export function nodeAt(source: YamlSource, path: YamlPath): Node | undefined {
  let node: unknown = source.document.contents
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => (isScalar(item.key) ? item.key.value : item.key) === key)
      node = pair?.value ?? undefined
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key]
    } else return undefined
    if (node === undefined || node === null) return undefined
  }
  return node as Node
}

/**
 * The 1-based line of the value at `path`; for a missing value, the line of its key, or
 * of the deepest ancestor that exists.
 */
export function lineOf(source: YamlSource, path: YamlPath): number | undefined {
  let node: unknown = source.document.contents
  let line = lineOfNode(source, node)
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => (isScalar(item.key) ? item.key.value : item.key) === key)
      if (pair === undefined) return line
      line = lineOfNode(source, pair.key) ?? line
      node = pair.value
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key]
    } else return line
    line = lineOfNode(source, node) ?? line
  }
  return line
}

function lineOfNode(source: YamlSource, node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range
  return range === undefined ? undefined : source.lines.linePos(range[0]).line
}

/** `a.b[2].c` */
export function formatPath(path: YamlPath): string {
  return path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out === '' ? key : `${out}.${key}`),
    '',
  )
}

/** Serializes a Document without folding long lines, so untouched lines keep their bytes. */
export function stringifyYaml(document: Document): string {
  return document.toString({ lineWidth: 0 })
}
