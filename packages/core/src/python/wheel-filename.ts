/**
 * Python distribution file names: wheels (PEP 427) and sdists (PEP 625), and the project
 * names they carry (PEP 508). Pure parsing: the wheel publisher and the image assembler
 * each refuse a name that does not parse with a coded error of their own.
 */

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

/** PEP 508's project name: letters, digits and `._-`, starting and ending with a letter or digit (so never `..`). */
const VALID_NAME = /^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i

export function isValidDistributionName(name: string): boolean {
  return VALID_NAME.test(name)
}

/** PEP 503 normalization, how indexes file a project: runs of `-_.` become one `-`, lowercase (`Fast_JSON` -> `fast-json`). */
export function normalizePythonName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase()
}

/** The name as wheel and sdist file names write it (PEP 427 / PEP 625): runs of `-_.` become one `_`, lowercase. */
export function escapePythonName(name: string): string {
  return name.replace(/[-_.]+/g, '_').toLowerCase()
}

const WHEEL = /^([^-]+)-([^-]+)(?:-(\d[^-]*))?-([^-]+)-([^-]+)-([^-]+)\.whl$/
const SDIST = /^(.+)-([^-]+)\.tar\.gz$/

/**
 * A wheel file name (`{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`) with its
 * compressed tag sets (`py2.py3`) expanded; undefined when `filename` is not one.
 */
export function parseWheelFilename(filename: string): WheelFilename | undefined {
  const wheel = WHEEL.exec(filename)
  if (wheel === null) return undefined
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

/** A wheel or `.tar.gz` sdist file name; undefined for anything else. */
export function parseDistributionFilename(filename: string): WheelFilename | SdistFilename | undefined {
  const wheel = parseWheelFilename(filename)
  if (wheel !== undefined) return wheel
  const sdist = SDIST.exec(filename)
  if (sdist === null) return undefined
  return { kind: 'sdist', filename, distribution: sdist[1]!, version: sdist[2]! }
}
