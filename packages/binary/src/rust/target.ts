import { formatPlatform, type Platform } from '@polyship/core'
import { BinaryError } from '../errors.ts'

/** How one platform gets built here, or why it cannot be. */
export type RustTargetPlan =
  | {
      readonly status: 'build'
      readonly platform: Platform
      readonly triple: string
      readonly linker: 'cargo' | 'zigbuild'
    }
  | {
      readonly status: 'skipped'
      readonly platform: Platform
      readonly triple: string
      readonly reason: string
    }

/** What the planner knows about this machine. */
export interface RustTargetFacts {
  readonly host: string
  readonly sysroot: string
  readonly installed: ReadonlySet<string>
  /** cargo-zigbuild works here. */
  readonly zigbuild: boolean
  /** Triples, spelled as in `CARGO_TARGET_<TRIPLE>_LINKER` (see envTriple), with a linker configured. */
  readonly linkers: ReadonlySet<string>
}

const LINUX: Readonly<Record<string, readonly [gnu: string, musl: string]>> = {
  amd64: ['x86_64-unknown-linux-gnu', 'x86_64-unknown-linux-musl'],
  arm64: ['aarch64-unknown-linux-gnu', 'aarch64-unknown-linux-musl'],
  'arm/v7': ['armv7-unknown-linux-gnueabihf', 'armv7-unknown-linux-musleabihf'],
  'arm/v6': ['arm-unknown-linux-gnueabihf', 'arm-unknown-linux-musleabihf'],
  arm: ['arm-unknown-linux-gnueabihf', 'arm-unknown-linux-musleabihf'],
  '386': ['i686-unknown-linux-gnu', 'i686-unknown-linux-musl'],
  ppc64le: ['powerpc64le-unknown-linux-gnu', 'powerpc64le-unknown-linux-musl'],
  s390x: ['s390x-unknown-linux-gnu', 's390x-unknown-linux-musl'],
  riscv64: ['riscv64gc-unknown-linux-gnu', 'riscv64gc-unknown-linux-musl'],
}
const OTHER: Readonly<Record<string, string>> = {
  'darwin/amd64': 'x86_64-apple-darwin',
  'darwin/arm64': 'aarch64-apple-darwin',
  'windows/amd64': 'x86_64-pc-windows-msvc',
  'windows/arm64': 'aarch64-pc-windows-msvc',
  'windows/386': 'i686-pc-windows-msvc',
  'freebsd/amd64': 'x86_64-unknown-freebsd',
}

/** Rust triples for a platform, preferred first (linux: gnu, then musl). */
export function rustTriples(platform: Platform): readonly string[] {
  const arch =
    platform.variant === 'v8' && platform.architecture === 'arm64'
      ? 'arm64'
      : platform.variant === undefined
        ? platform.architecture
        : `${platform.architecture}/${platform.variant}`
  if (platform.os === 'linux') return LINUX[arch] ?? []
  const other = OTHER[`${platform.os}/${arch}`]
  return other === undefined ? [] : [other]
}

/**
 * Decides how to build a platform. The host triple builds with cargo. Another target
 * needs its standard library installed plus a linker: one configured in the
 * environment, the host's own for darwin-on-darwin, or cargo-zigbuild for linux musl
 * (zig links static musl, not static glibc). Everything else is skipped with the
 * reason; a platform with no Rust triple at all is BINARY_PLATFORM_UNSUPPORTED.
 */
export function planRustTarget(platform: Platform, facts: RustTargetFacts, where: string): RustTargetPlan {
  const triples = rustTriples(platform)
  const preferred = triples[0]
  if (preferred === undefined) {
    throw new BinaryError(
      'BINARY_PLATFORM_UNSUPPORTED',
      `${where}: no Rust target for ${formatPlatform(platform)}`,
      {
        hint: 'remove the platform from polyship.binary.platforms; `rustc --print target-list` shows what Rust can target',
      },
    )
  }
  const build = (triple: string, linker: 'cargo' | 'zigbuild') => ({
    status: 'build' as const,
    platform,
    triple,
    linker,
  })
  if (triples.includes(facts.host)) return build(facts.host, 'cargo')
  const installed = triples.filter((triple) => facts.installed.has(triple))
  const configured = installed.find((triple) => facts.linkers.has(envTriple(triple)))
  if (configured !== undefined) return build(configured, 'cargo')
  if (platform.os === 'darwin' && facts.host.endsWith('-apple-darwin') && installed[0] !== undefined)
    return build(installed[0], 'cargo')
  const musl = installed.find((triple) => triple.includes('-musl'))
  if (musl !== undefined && facts.zigbuild) return build(musl, 'zigbuild')

  const skip = (reason: string) => ({
    status: 'skipped' as const,
    platform,
    triple: installed[0] ?? preferred,
    reason,
  })
  if (installed.length === 0) {
    return skip(
      `the Rust standard library for ${triples.join(' or ')} is not installed in ${facts.sysroot} ` +
        `(rustup target add ${preferred})` +
        (platform.os === 'linux' ? '; cargo-zigbuild provides a linker, not a standard library' : ''),
    )
  }
  if (platform.os === 'linux') {
    return skip(
      musl === undefined
        ? `only ${installed.join(', ')} is installed: a static glibc binary needs a ${installed[0]} cross linker ` +
            `(set CARGO_TARGET_${envTriple(installed[0]!)}_LINKER), or install the musl standard library ` +
            `(rustup target add ${triples[1]}) and cargo-zigbuild`
        : `linking ${musl} from ${facts.host} needs cargo-zigbuild with zig, which was not found or does not work here`,
    )
  }
  return skip(
    `cross-linking ${installed[0]} from ${facts.host} needs the ${platform.os} SDK and linker; ` +
      `build it on a ${platform.os} runner or set CARGO_TARGET_${envTriple(installed[0]!)}_LINKER`,
  )
}

/** `x86_64-unknown-linux-gnu` -> `X86_64_UNKNOWN_LINUX_GNU`, as cargo's env config spells triples. */
export function envTriple(triple: string): string {
  return triple.toUpperCase().replaceAll(/[-.]/g, '_')
}
