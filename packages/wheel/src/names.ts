import {
  escapePythonName,
  normalizePythonName,
  parseDistributionFilename as parseCoreFilename,
  type SdistFilename,
  type WheelFilename,
  type WheelTag,
} from '@polyship/core'
import { WheelError } from './errors.ts'

/** A Python distribution name normalized as PEP 503 spells it in index URLs: `fast-json`. */
export type NormalizedName = string & { readonly __normalized: unique symbol }

export type { SdistFilename, WheelFilename, WheelTag } from '@polyship/core'
export { isValidDistributionName } from '@polyship/core'

/** PEP 503 normalization (core's `normalizePythonName`), typed as the index's key. */
export function normalizeName(name: string): NormalizedName {
  return normalizePythonName(name) as NormalizedName
}

/** How the name is written in wheel and sdist file names (PEP 427 / PEP 625). */
export const escapedName = escapePythonName

/** Parses a distribution file name; anything that is neither a wheel nor a `.tar.gz` sdist is refused. */
export function parseDistributionFilename(filename: string): WheelFilename | SdistFilename {
  const parsed = parseCoreFilename(filename)
  if (parsed !== undefined) return parsed
  throw new WheelError('WHEEL_ARCHIVE_INVALID', `${filename} is neither a wheel nor an sdist file name`, {
    hint: 'wheels are named {name}-{version}-{python}-{abi}-{platform}.whl, sdists {name}-{version}.tar.gz',
  })
}

export function formatTag(tag: WheelTag): string {
  return `${tag.interpreter}-${tag.abi}-${tag.platform}`
}
