import { parse, TomlError } from 'smol-toml'
import { VersioningError } from '../errors.ts'
import { applySplices, checkSafeValue, type ValueEdit, verifyEdited } from './splice.ts'
import { scanToml, type TomlSpan, type ValuePath } from './toml-scan.ts'

/** Parses TOML, turning syntax errors into a coded error naming the file and line. */
export function parseToml(text: string, file: string): Record<string, unknown> {
  try {
    return parse(text) as Record<string, unknown>
  } catch (error) {
    if (!(error instanceof TomlError)) throw error
    throw new VersioningError(
      'VERSION_MANIFEST_INVALID',
      `${file}:${error.line}: not valid TOML: ${error.message.split('\n')[0]}`,
      {
        hint: 'fix the file so that cargo/pip accept it, then run again',
        cause: error,
      },
    )
  }
}

/** The span of the value at `path`, if the document spells it out. */
export function findTomlSpan(spans: readonly TomlSpan[], path: ValuePath): TomlSpan | undefined {
  return spans.find(
    (span) => span.path.length === path.length && span.path.every((key, i) => key === path[i]),
  )
}

/**
 * Sets string values of a TOML document in place: only the characters between each
 * value's quotes change, so comments, key order, whitespace and quoting style survive.
 * The result is parsed again and must differ from the original in exactly these values.
 */
export function editToml(text: string, file: string, edits: readonly ValueEdit[]): string {
  if (edits.length === 0) return text
  const before = parseToml(text, file)
  const spans = scanToml(text, file)
  const splices = edits.map((edit) => {
    const span = findTomlSpan(spans, edit.path)
    checkSafeValue(edit.value, span?.quote)
    if (span?.quote === undefined) {
      throw new VersioningError(
        'VERSION_MANIFEST_INVALID',
        `${file}: ${edit.path.join('.')} ${span === undefined ? 'is missing' : 'is not a string'}`,
        { hint: `write it as a quoted string, e.g. ${String(edit.path.at(-1))} = "${edit.value}"` },
      )
    }
    return { start: span.start + span.quote.length, end: span.end - span.quote.length, text: edit.value }
  })
  const after = applySplices(text, splices)
  verifyEdited(before, parseToml(after, file), edits, file)
  return after
}
