import {
  type BinaryConfig,
  type Limiter,
  type Platform,
  type Project,
  parsePlatform,
  type Reporter,
  silentReporter,
} from '@polyship/core'
import { BinaryError } from './errors.ts'
import { DEFAULT_PLATFORMS, releaseVersion } from './names.ts'
import type { BinaryBuild } from './result.ts'

export type Env = Readonly<Record<string, string | undefined>>

/**
 * Where each compile waits its turn (core's `limiter`). A release hands one set of compile
 * slots to every project it builds, so a project's platforms take the slots other projects
 * leave free.
 */
export type Slots = Limiter

/** Compiles run as soon as they are started: what a build without shared slots gets. */
export const unlimitedSlots: Slots = { run: (compile) => compile() }

/** What every binary build takes. */
export interface BinaryBuildOptions {
  /** Binaries land in `<outDir>/<binary>_<os>_<arch>/`, archives and checksums in `<outDir>/`. */
  readonly outDir: string
  /** The commit being released, injected into Go binaries (`readGitStamp` reads it). */
  readonly commit: string
  /** Commit date, RFC 3339 UTC; injected into Go binaries, and the archive mtime when SOURCE_DATE_EPOCH is unset. */
  readonly date: string
  /** Defaults to the project's version; a leading `v` is dropped. */
  readonly version?: string
  /** Defaults to `polyship.binary.platforms`, else linux/amd64, linux/arm64, darwin/amd64, darwin/arm64, windows/amd64. */
  readonly platforms?: readonly Platform[]
  /**
   * A snapshot build (never published): `version` is a pre-release the native manifest
   * does not carry, so a Rust binary reports its Cargo.toml version instead of failing.
   */
  readonly snapshot?: boolean
  /** Refuse to build (BINARY_DIRTY_TREE) when the project directory has uncommitted changes. */
  readonly requireCleanTree?: boolean
  /** Platforms compiled at once (Go; cargo serializes on its target directory anyway). Default 1. */
  readonly concurrency?: number
  /** Shared with other builds: each compile (`go build`, `cargo build`) runs in one of these. */
  readonly slots?: Slots
  /**
   * Called once per platform as soon as every binary of it is built, with a build holding
   * just that platform's binaries (the caller archives it while other platforms compile).
   * The build settles only after every promise it returned has.
   */
  readonly onPlatform?: (built: BinaryBuild) => Promise<unknown>
  /** The environment tools run in; default this process's. */
  readonly env?: Env
  readonly reporter?: Reporter
  readonly signal?: AbortSignal
}

/** Fields of polyship.binary that only one toolchain reads: set on the other, they are a mistake. */
const GO_ONLY = ['binaries', 'tags', 'strip', 'goamd64', 'goarm', 'ldflags'] as const
const RUST_ONLY = ['packages', 'bins'] as const

/** Options resolved once, shared by both toolchains. */
export interface BuildContext {
  readonly project: Project
  readonly config: BinaryConfig
  readonly version: string
  readonly platforms: readonly Platform[]
  readonly env: Env
  readonly reporter: Reporter
  readonly concurrency: number
  readonly slots: Slots
}

export function buildContext(
  project: Project,
  toolchain: BinaryConfig['toolchain'],
  options: BinaryBuildOptions,
): BuildContext {
  const config = project.config.binary
  if (config === undefined || config.toolchain !== toolchain) {
    throw new BinaryError(
      'BINARY_PROJECT_INVALID',
      `${project.manifestPath}: polyship.binary.toolchain is ${config === undefined ? 'not set' : `"${config.toolchain}"`}, not "${toolchain}"`,
      {
        hint: `set "polyship": { "binary": { "toolchain": "${toolchain}" } } or call the ${config?.toolchain ?? 'matching'} builder`,
      },
    )
  }
  const foreign = (toolchain === 'rust' ? GO_ONLY : RUST_ONLY).filter((field) => config[field] !== undefined)
  if (foreign.length > 0) {
    throw new BinaryError(
      'BINARY_PROJECT_INVALID',
      `${project.manifestPath}: polyship.binary.${foreign[0]} applies to ${toolchain === 'rust' ? 'Go' : 'Rust'} binaries only; this project's toolchain is "${toolchain}"`,
      {
        hint:
          toolchain === 'rust'
            ? 'select Rust binaries with packages and bins; set target-specific flags in .cargo/config.toml or RUSTFLAGS'
            : 'list Go binaries in binaries: [{ main, name, tags, ldflags }]',
      },
    )
  }
  const platforms =
    options.platforms ??
    (config.platforms ?? DEFAULT_PLATFORMS).map((text, i) =>
      parsePlatform(text, `${project.manifestPath}: polyship.binary.platforms[${i}]`),
    )
  return {
    project,
    config,
    version: releaseVersion(options.version ?? project.version),
    platforms,
    env: options.env ?? process.env,
    reporter: options.reporter ?? silentReporter,
    concurrency: options.concurrency ?? 1,
    slots: options.slots ?? unlimitedSlots,
  }
}

/** The build environment: `env`, then the project's `polyship.binary.env`, then what polyship forces. */
export function toolEnv(context: BuildContext, forced: Env): Record<string, string | undefined> {
  return { ...context.env, ...context.config.env, ...forced }
}
