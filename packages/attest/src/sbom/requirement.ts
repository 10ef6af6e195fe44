import { AttestError } from '../errors.ts'
import type { PythonRequirement } from './component.ts'

const REQUIREMENT =
  /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[([^\]]*)\])?\s*(?:\(([^)]*)\)|(@\s*\S+)|([^;]*?))\s*(?:;\s*(.+?))?\s*$/

/** Parses a PEP 508 requirement as written in a wheel's `Requires-Dist` (`numpy>=1.26; python_version>"3.10"`). */
export function parseRequirement(text: string): PythonRequirement {
  const match = REQUIREMENT.exec(text)
  if (match === null) {
    throw new AttestError('ATTEST_INPUT_INVALID', `"${text}" is not a PEP 508 requirement`, {
      hint: 'Requires-Dist lines look like `name[extra]>=1.0; python_version >= "3.9"`',
    })
  }
  const [, name, extras, parenthesized, url, bare, marker] = match
  const specifier = (parenthesized ?? url ?? bare ?? '').replace(/\s+/g, '')
  const extraList = (extras ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
  return {
    name: name!,
    ...(extraList.length > 0 ? { extras: extraList } : {}),
    ...(specifier === '' ? {} : { specifier }),
    ...(marker === undefined ? {} : { marker }),
  }
}
