import { type ImageConfig, type Platform, parsePlatform } from '@polyship/core'
import { ContainerError } from '../errors.ts'
import type { HealthcheckJson } from './config-json.ts'

/** The user images run as unless configured: nonroot of the built-in base (distroless convention). */
export const DEFAULT_USER = '65532:65532'
export const DEFAULT_PLATFORMS: readonly Platform[] = [{ os: 'linux', architecture: 'amd64' }]

/** A parsed `user[:group]`; numeric parts need no passwd/group entry. */
export interface ImageUser {
  readonly text: string
  readonly user: string
  readonly group?: string
}

const USER = /^([A-Za-z0-9_.][A-Za-z0-9_.-]*)(?::([A-Za-z0-9_.][A-Za-z0-9_.-]*))?$/

export function parseUser(text: string, where: string): ImageUser {
  const match = USER.exec(text)
  if (match === null) {
    throw new ContainerError('CONTAINER_CONFIG_INVALID', `${where}: "${text}" is not a user`, {
      hint: 'write uid[:gid] (65532:65532) or a user[:group] name defined in the image',
    })
  }
  return { text, user: match[1]!, ...(match[2] === undefined ? {} : { group: match[2] }) }
}

export function imagePlatforms(config: ImageConfig, where: string): Platform[] {
  const platforms = config.platforms?.map((p, i) => parsePlatform(p, `${where}.platforms[${i}]`)) ?? [
    ...DEFAULT_PLATFORMS,
  ]
  const bad = platforms.find((p) => p.os !== 'linux')
  if (bad !== undefined) {
    throw new ContainerError(
      'CONTAINER_CONFIG_INVALID',
      `${where}.platforms: ${bad.os}/${bad.architecture} is not a Linux platform`,
      {
        hint: 'polyship assembles Linux images; list linux/<arch> platforms',
      },
    )
  }
  return platforms
}

const UNITS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
}

/** A Go-style duration (`30s`, `1m30s`, `500ms`) in nanoseconds, as Docker's config stores it. */
export function parseDuration(text: string, where: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new ContainerError('CONTAINER_CONFIG_INVALID', `${where}: "${text}" is not a duration`, {
      hint: 'write durations like 30s, 1m30s or 500ms',
    })
  }
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]!]!, 0))
}

/**
 * Docker's healthcheck: `test` as given when it starts with CMD, CMD-SHELL or NONE, else
 * `CMD` is put in front (exec form), e.g. `["python3", "-c", "import fastjson"]`.
 */
export function healthcheck(config: NonNullable<ImageConfig['healthcheck']>, where: string): HealthcheckJson {
  const test = config.test
  if (test.length === 0) {
    throw new ContainerError('CONTAINER_CONFIG_INVALID', `${where}.test is empty`, {
      hint: 'give the command to run, e.g. ["CMD", "/usr/local/bin/app", "healthcheck"]',
    })
  }
  const head = test[0]!
  return {
    Test: head === 'CMD' || head === 'CMD-SHELL' || head === 'NONE' ? [...test] : ['CMD', ...test],
    ...(config.interval === undefined
      ? {}
      : { Interval: parseDuration(config.interval, `${where}.interval`) }),
    ...(config.timeout === undefined ? {} : { Timeout: parseDuration(config.timeout, `${where}.timeout`) }),
    ...(config.startPeriod === undefined
      ? {}
      : { StartPeriod: parseDuration(config.startPeriod, `${where}.startPeriod`) }),
    ...(config.retries === undefined ? {} : { Retries: config.retries }),
  }
}

/** `KEY=value` list: the base's, with ours replacing same-named keys in place and new ones appended in key order. */
export function mergeEnv(base: readonly string[], ours: Readonly<Record<string, string>>): string[] {
  const keyOf = (line: string) => (line.includes('=') ? line.slice(0, line.indexOf('=')) : line)
  const merged = base.map((line) => {
    const key = keyOf(line)
    return Object.hasOwn(ours, key) ? `${key}=${ours[key]}` : line
  })
  const known = new Set(base.map(keyOf))
  for (const key of Object.keys(ours).sort()) if (!known.has(key)) merged.push(`${key}=${ours[key]}`)
  return merged
}

/** The value of PATH in a `KEY=value` list, or Docker's default. */
export function pathOf(env: readonly string[]): string {
  const line = [...env].reverse().find((l) => l.startsWith('PATH='))
  return line?.slice('PATH='.length) ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
}

/** RFC 3339 in UTC without fractions: `2023-11-14T22:13:20Z`. */
export function timestamp(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
}
