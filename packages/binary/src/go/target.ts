import { type BinaryConfig, formatPlatform, type Platform } from '@polyship/core'
import { BinaryError } from '../errors.ts'

/** The GOOS/GOARCH(/GOARM/GOAMD64) environment for one platform. */
export interface GoTarget {
  readonly platform: Platform
  /** `linux/amd64`: the name `go tool dist list` uses. */
  readonly name: string
  readonly env: Readonly<Record<string, string>>
}

/**
 * Maps a platform to Go's target variables, checked against what the toolchain supports.
 * `arm` variants v5-v7 become GOARM; `amd64` variants v2-v4 become GOAMD64; `arm64/v8` is
 * the default arm64; any other variant has no Go equivalent. `goamd64` is the level of a
 * variant-less amd64 platform (`v1`, as `polyship.binary.goamd64` lists it).
 */
export function goTarget(
  platform: Platform,
  supported: ReadonlySet<string>,
  where: string,
  goamd64?: string,
): GoTarget {
  const name = `${platform.os}/${platform.architecture}`
  const { variant } = platform
  const goarm =
    platform.architecture === 'arm' && variant !== undefined ? /^v([5-7])$/.exec(variant)?.[1] : undefined
  const amd64 =
    platform.architecture === 'amd64'
      ? variant === undefined
        ? goamd64
        : /^v[1-4]$/.test(variant)
          ? variant
          : undefined
      : undefined
  const variantOk =
    variant === undefined ||
    goarm !== undefined ||
    amd64 !== undefined ||
    (platform.architecture === 'arm64' && variant === 'v8')
  if (!supported.has(name) || !variantOk) {
    throw new BinaryError(
      'BINARY_PLATFORM_UNSUPPORTED',
      `${where}: Go cannot build ${formatPlatform(platform)}${supported.has(name) ? ` (no ${platform.architecture === 'amd64' ? 'GOAMD64' : 'GOARM'} for variant ${variant})` : ' (not in go tool dist list)'}`,
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
      ...(amd64 === undefined ? {} : { GOAMD64: amd64 }),
    },
  }
}

/**
 * The platforms a Go project builds: each configured one, with a variant-less `amd64`
 * multiplied by `goamd64` (v1 keeps the plain platform, v2-v4 become `amd64/v3`...) and a
 * variant-less `arm` by `goarm` (`arm/v6`, `arm/v7`), GoReleaser's `goamd64` and `goarm`.
 * Other toolchains' platforms pass through unchanged.
 */
export function goPlatforms(
  config: Pick<BinaryConfig, 'toolchain' | 'goamd64' | 'goarm'>,
  platforms: readonly Platform[],
): { readonly platform: Platform; readonly goamd64?: string }[] {
  const out: { platform: Platform; goamd64?: string }[] = []
  const add = (platform: Platform, goamd64?: string) => {
    if (out.some((p) => formatPlatform(p.platform) === formatPlatform(platform))) return
    out.push(goamd64 === undefined ? { platform } : { platform, goamd64 })
  }
  for (const platform of platforms) {
    if (config.toolchain === 'go' && platform.variant === undefined) {
      if (platform.architecture === 'amd64' && config.goamd64 !== undefined) {
        for (const level of config.goamd64)
          level === 'v1' ? add(platform, 'v1') : add({ ...platform, variant: level })
        continue
      }
      if (platform.architecture === 'arm' && config.goarm !== undefined) {
        for (const version of config.goarm) add({ ...platform, variant: `v${version}` })
        continue
      }
    }
    add(platform)
  }
  return out
}
