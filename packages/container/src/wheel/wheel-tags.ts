import { basename } from 'node:path'
import {
  isValidDistributionName,
  type Platform,
  parseWheelFilename,
  type WheelFilename,
  type WheelTag,
} from '@polyship/core'
import { ContainerError } from '../errors.ts'

export type { WheelTag } from '@polyship/core'

/** A wheel file name, parsed (PEP 427). */
export type WheelName = WheelFilename

/** Parses a wheel file name (PEP 427), expanding compressed tag sets (`py2.py3`). */
export function parseWheelName(path: string): WheelName {
  const filename = basename(path)
  const name = parseWheelFilename(filename)
  if (name === undefined) {
    throw new ContainerError('CONTAINER_WHEEL_INVALID', `${filename} is not a wheel file name`, {
      hint: 'wheels are named {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl',
    })
  }
  // the `..` a PEP 508 name refuses would move the headers directory (`include/python3.X/<name>`)
  if (!isValidDistributionName(name.distribution)) {
    throw new ContainerError(
      'CONTAINER_NAME_INVALID',
      `${filename}: distribution name "${name.distribution}" is not a Python project name (PEP 508: letters, digits and . _ -, starting and ending with a letter or digit)`,
      { hint: 'rename the project in pyproject.toml to a valid name and rebuild the wheel' },
    )
  }
  return name
}

const ARCHITECTURES: Readonly<Record<string, string>> = {
  x86_64: 'amd64',
  aarch64: 'arm64',
  i686: '386',
  armv7l: 'arm',
  ppc64le: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
}

/**
 * Whether a tag runs on CPython `pythonVersion` (`3.11`) on a Linux image of `platform`,
 * by the rules pip applies: `cpXY-abi3` from X.Y up, `cpXY-<abi>` on X.Y only, `pyX` on
 * any X.*, `pyXY` from X.Y down; `any`, or a linux/manylinux/musllinux tag of the image's
 * architecture.
 */
export function tagFits(tag: WheelTag, platform: Platform, pythonVersion: string): boolean {
  return interpreterFits(tag, pythonVersion) && platformFits(tag.platform, platform)
}

function interpreterFits(tag: WheelTag, pythonVersion: string): boolean {
  const [major, minor] = pythonVersion.split('.').map(Number) as [number, number]
  const cp = /^cp(\d)(\d+)$/.exec(tag.interpreter)
  if (cp !== null) {
    const [tagMajor, tagMinor] = [Number(cp[1]), Number(cp[2])]
    if (tagMajor !== major) return false
    if (tag.abi === 'abi3') return tagMinor <= minor
    return (
      tagMinor === minor &&
      (tag.abi === 'none' || tag.abi === `cp${major}${minor}` || tag.abi === `cp${major}${minor}m`)
    )
  }
  const py = /^py(\d)(\d*)$/.exec(tag.interpreter)
  if (py === null || tag.abi !== 'none') return false
  if (Number(py[1]) !== major) return false
  return py[2] === '' || Number(py[2]) <= minor
}

function platformFits(tag: string, platform: Platform): boolean {
  if (tag === 'any') return true
  if (platform.os !== 'linux') return false
  const match =
    /^(?:linux|manylinux1|manylinux2010|manylinux2014|manylinux_\d+_\d+|musllinux_\d+_\d+)_(.+)$/.exec(tag)
  if (match === null) return false
  const arch = ARCHITECTURES[match[1]!]
  if (arch !== platform.architecture) return false
  return arch !== 'arm' || platform.variant === 'v7'
}

/** The tags of a wheel, as written, for messages. */
export function shownTags(name: WheelName): string {
  return name.tags.map((t) => `${t.interpreter}-${t.abi}-${t.platform}`).join(', ')
}

/**
 * The one CPython `major.minor` that a set of wheels requires exactly (version-specific ABI
 * tags such as `cp312-cp312`), or undefined when they are abi3/pure or disagree.
 */
export function exactPythonVersion(names: readonly WheelName[]): string | undefined {
  const versions = new Set<string>()
  for (const name of names) {
    for (const tag of name.tags) {
      const cp = /^cp(\d)(\d+)$/.exec(tag.interpreter)
      if (cp !== null && tag.abi !== 'abi3' && tag.abi !== 'none') versions.add(`${cp[1]}.${cp[2]}`)
    }
  }
  return versions.size === 1 ? [...versions][0] : undefined
}
