import { CoreError } from './errors.ts'

/** A target platform in OCI terms (`os`/`architecture`/`variant`). */
export interface Platform {
  readonly os: string
  readonly architecture: string
  readonly variant?: string
}

const OSES = new Set(['linux', 'darwin', 'windows', 'freebsd'])
const ARCHITECTURES = new Set(['amd64', 'arm64', 'arm', '386', 'ppc64le', 's390x', 'riscv64'])

/** Parses `os/arch[/variant]`, e.g. `linux/arm64` or `linux/arm/v7`. */
export function parsePlatform(text: string, where = 'platform'): Platform {
  const parts = text.split('/')
  const [os, architecture, variant] = parts
  const problem =
    parts.length < 2 || parts.length > 3
      ? 'expected os/arch or os/arch/variant'
      : !OSES.has(os!)
        ? `unknown os "${os}" (known: ${[...OSES].join(', ')})`
        : !ARCHITECTURES.has(architecture!)
          ? `unknown architecture "${architecture}" (known: ${[...ARCHITECTURES].join(', ')})`
          : variant !== undefined &&
              !/^v[5-8]$/.test(variant) &&
              !(architecture === 'amd64' && /^v[1-4]$/.test(variant))
            ? `unknown variant "${variant}" (known: v5, v6, v7, v8; amd64: v1-v4)`
            : undefined
  if (problem !== undefined) {
    throw new CoreError('PLATFORM_INVALID', `${where}: "${text}" is not a platform: ${problem}`, {
      hint: 'write platforms as os/arch, e.g. linux/amd64, linux/arm64, linux/arm/v7, darwin/arm64',
    })
  }
  return variant === undefined
    ? { os: os!, architecture: architecture! }
    : { os: os!, architecture: architecture!, variant }
}

export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/')
}

export function samePlatform(a: Platform, b: Platform): boolean {
  return a.os === b.os && a.architecture === b.architecture && (a.variant ?? '') === (b.variant ?? '')
}

/** The platform of this machine, in the same vocabulary. */
export function hostPlatform(): Platform {
  const arch = ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' } as Record<string, string>)[
    process.arch
  ]
  const os = process.platform === 'win32' ? 'windows' : process.platform
  return { os, architecture: arch ?? process.arch }
}
