import { formatPlatform, type Platform } from '@polyship/core'
import { BinaryError } from '../errors.ts'

/** The GOOS/GOARCH(/GOARM) environment for one platform. */
export interface GoTarget {
  readonly platform: Platform
  /** `linux/amd64`: the name `go tool dist list` uses. */
  readonly name: string
  readonly env: Readonly<Record<string, string>>
}

/**
 * Maps a platform to Go's target variables, checked against what the toolchain supports.
 * `arm` variants v5-v7 become GOARM; `arm64/v8` is the default arm64; any other variant
 * has no Go equivalent.
 */
export function goTarget(platform: Platform, supported: ReadonlySet<string>, where: string): GoTarget {
  const name = `${platform.os}/${platform.architecture}`
  const { variant } = platform
  const goarm =
    platform.architecture === 'arm' && variant !== undefined ? /^v([5-7])$/.exec(variant)?.[1] : undefined
  const variantOk =
    variant === undefined || goarm !== undefined || (platform.architecture === 'arm64' && variant === 'v8')
  if (!supported.has(name) || !variantOk) {
    throw new BinaryError(
      'BINARY_PLATFORM_UNSUPPORTED',
      `${where}: Go cannot build ${formatPlatform(platform)}${supported.has(name) ? ` (no GOARM for variant ${variant})` : ' (not in go tool dist list)'}`,
      {
        hint: 'remove the platform from polyship.binary.platforms; `go tool dist list` shows what Go can target',
      },
    )
  }
  return {
    platform,
    name,
    env: {
      GOOS: platform.os,
      GOARCH: platform.architecture,
      ...(goarm === undefined ? {} : { GOARM: goarm }),
    },
  }
}
