import type { Artifact, Platform } from '@polyship/core'
import type { GoBuildInfo } from './go/build-info.ts'
import type { RustDependencies } from './rust/dependencies.ts'

/** What the SBOM step needs about one binary: the modules or crates linked into it. */
export type BinaryDependencies = GoBuildInfo | RustDependencies

/** One binary built for one platform. */
export interface BuiltBinary {
  /** The executable's name without `.exe` (a project may ship several). */
  readonly name: string
  /** kind `binary`, with platform, path, digest and size. */
  readonly artifact: Artifact & { readonly platform: Platform; readonly path: string }
  /** The toolchain's name for the target: `linux/amd64` (Go) or `x86_64-unknown-linux-gnu` (Rust). */
  readonly target: string
  readonly dependencies: BinaryDependencies
}

/** A configured platform this machine cannot build, and why; also emitted as a `skipped` event. */
export interface SkippedTarget {
  readonly platform: Platform
  readonly target: string
  readonly reason: string
}

/** The outcome of building one project's binaries. */
export interface BinaryBuild {
  readonly project: string
  /** Without a leading `v`. */
  readonly version: string
  readonly toolchain: 'go' | 'rust'
  /** The first binary's executable name without `.exe`. */
  readonly binaryName: string
  /** Every binary's name, in config order: each is built for every platform and archived together. */
  readonly binaryNames: readonly string[]
  readonly commit: string
  readonly date: string
  /** By platform in the configured order, then by binary in `binaryNames` order. */
  readonly binaries: readonly BuiltBinary[]
  readonly skipped: readonly SkippedTarget[]
}

/** Archives and checksums made from a `BinaryBuild`. */
export interface BinaryPackages {
  /** One per platform, in the order of `binaries`, each holding every binary of that platform: kind `archive`, tar.gz or zip. */
  readonly archives: readonly (Artifact & { readonly platform: Platform; readonly path: string })[]
  /** kind `checksums`: `<project>_<version>_checksums.txt`. */
  readonly checksums: Artifact & { readonly path: string }
}
