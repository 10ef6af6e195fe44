import { WheelError } from './errors.ts'

/** A Python distribution name normalized as PEP 503 spells it in index URLs: `fast-json`. */
export type NormalizedName = string & { readonly __normalized: unique symbol }

/** A wheel's compatibility tag, `cp39-abi3-manylinux_2_17_x86_64`. */
export interface WheelTag {
  readonly interpreter: string
  readonly abi: string
  readonly platform: string
}

export interface WheelFilename {
  readonly kind: 'wheel'
  readonly filename: string
  /** As written in the file name (escaped: `fast_json`). */
  readonly distribution: string
  readonly version: string
  readonly build?: string
  /** The python tag part as written (`cp39`, `py2.py3`); the upload form's `pyversion`. */
  readonly pythonTag: string
  /** Every tag of the compressed tag set, expanded. */
  readonly tags: readonly WheelTag[]
}

export interface SdistFilename {
  readonly kind: 'sdist'
  readonly filename: string
  readonly distribution: string
  readonly version: string
}

const VALID_NAME = /^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i

export function isValidDistributionName(name: string): boolean {
  return VALID_NAME.test(name)
}

/** PEP 503 normalization: runs of `-_.` become one `-`, lowercase. */
export function normalizeName(name: string): NormalizedName {
  return name.replace(/[-_.]+/g, '-').toLowerCase() as NormalizedName
}

/** How the name is written in wheel and sdist file names (PEP 427 / PEP 625). */
export function escapedName(name: string): string {
  return name.replace(/[-_.]+/g, '_').toLowerCase()
}

const WHEEL = /^([^-]+)-([^-]+)(?:-(\d[^-]*))?-([^-]+)-([^-]+)-([^-]+)\.whl$/
const SDIST = /^(.+)-([^-]+)\.tar\.gz$/

/** Parses a distribution file name; anything that is neither a wheel nor a `.tar.gz` sdist is refused. */
export function parseDistributionFilename(filename: string): WheelFilename | SdistFilename {
  const wheel = WHEEL.exec(filename)
  if (wheel !== null) {
    const [, distribution, version, build, python, abi, platform] = wheel as unknown as string[]
    const tags: WheelTag[] = []
    for (const interpreter of python!.split('.'))
      for (const a of abi!.split('.'))
        for (const p of platform!.split('.')) tags.push({ interpreter, abi: a, platform: p })
    return {
      kind: 'wheel',
      filename,
      distribution: distribution!,
      version: version!,
      ...(build === undefined ? {} : { build }),
      pythonTag: python!,
      tags,
    }
  }
  const sdist = SDIST.exec(filename)
  if (sdist !== null && !filename.endsWith('.whl')) {
    return { kind: 'sdist', filename, distribution: sdist[1]!, version: sdist[2]! }
  }
  throw new WheelError('WHEEL_ARCHIVE_INVALID', `${filename} is neither a wheel nor an sdist file name`, {
    hint: 'wheels are named {name}-{version}-{python}-{abi}-{platform}.whl, sdists {name}-{version}.tar.gz',
  })
}

export function formatTag(tag: WheelTag): string {
  return `${tag.interpreter}-${tag.abi}-${tag.platform}`
}
