import { type Document, isScalar, parseDocument, Scalar } from 'yaml'
import { VersioningError } from '../errors.ts'
import { applySplices, checkSafeValue, type ValueEdit, verifyEdited } from './splice.ts'

/** Parses YAML into plain data, turning syntax errors into a coded error naming the file. */
export function parseYaml(text: string, file: string): unknown {
  return parseYamlDocument(text, file).toJS()
}

function parseYamlDocument(text: string, file: string): Document.Parsed {
  const doc = parseDocument(text, { prettyErrors: false })
  const error = doc.errors[0]
  if (error !== undefined) {
    throw new VersioningError(
      'VERSION_MANIFEST_INVALID',
      `${file}:${error.linePos?.[0].line ?? '?'}: not valid YAML: ${error.message}`,
      {
        hint: 'fix the file so that helm accepts it, then run again',
      },
    )
  }
  return doc
}

/**
 * Sets scalar values of a YAML document in place. The `yaml` Document API finds each
 * node and its source range; only that range is rewritten, in the node's own quoting
 * style, because re-serializing the document would reflow whitespace and comments.
 */
export function editYaml(text: string, file: string, edits: readonly ValueEdit[]): string {
  if (edits.length === 0) return text
  const doc = parseYamlDocument(text, file)
  const before = doc.toJS()
  const splices = edits.map((edit) => {
    checkSafeValue(edit.value)
    const node = doc.getIn(edit.path, true)
    if (!isScalar(node) || node.range === undefined || node.range === null) {
      throw new VersioningError(
        'VERSION_MANIFEST_INVALID',
        `${file}: ${edit.path.join('.')} is missing or not a scalar`,
        {
          hint: `set it to a version, e.g. ${String(edit.path.at(-1))}: "${edit.value}"`,
        },
      )
    }
    return { start: node.range[0], end: node.range[1], text: quoteLike(node, edit.value) }
  })
  const after = applySplices(text, splices)
  verifyEdited(before, parseYaml(after, file), edits, file)
  return after
}

function quoteLike(node: Scalar, value: string): string {
  switch (node.type) {
    case Scalar.QUOTE_DOUBLE:
      return `"${value}"`
    case Scalar.QUOTE_SINGLE:
      return `'${value}'`
    default:
      return value
  }
}
