import { escapePythonName, formatPlatform, type Platform } from '@polyship/core'
import { ContainerError } from '../errors.ts'
import { shownTags, tagFits, type WheelName } from './wheel-tags.ts'

export interface WheelFile {
  readonly path: string
  readonly name: WheelName
}

/**
 * For each distribution among `wheels`, the first wheel with a tag that fits the image's
 * platform and Python; CONTAINER_WHEEL_INCOMPATIBLE when a distribution has none, naming
 * every wheel and its tags.
 */
export function chooseWheels(
  wheels: readonly WheelFile[],
  platform: Platform,
  pythonVersion: string,
  where: string,
): WheelFile[] {
  const byDistribution = new Map<string, WheelFile[]>()
  for (const wheel of wheels) {
    const key = escapePythonName(wheel.name.distribution)
    byDistribution.set(key, [...(byDistribution.get(key) ?? []), wheel])
  }
  const chosen: WheelFile[] = []
  for (const [distribution, candidates] of byDistribution) {
    const fit = candidates.find((w) => w.name.tags.some((tag) => tagFits(tag, platform, pythonVersion)))
    if (fit === undefined) {
      const listed = candidates.map((w) => `${w.name.filename} [${shownTags(w.name)}]`).join('; ')
      throw new ContainerError(
        'CONTAINER_WHEEL_INCOMPATIBLE',
        `${where}: no wheel of ${distribution} fits the ${formatPlatform(platform)} image with CPython ${pythonVersion}: ${listed}`,
        {
          hint: 'build a wheel for that platform (polyship.wheel.targets), drop the platform from polyship.image.platforms, or set polyship.image.python.version to the base image Python',
        },
      )
    }
    chosen.push(fit)
  }
  return chosen
}
