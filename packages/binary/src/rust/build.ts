import { chmod, copyFile, mkdir, rm } from 'node:fs/promises'
import { homedir } from 'node:os'
import { basename, dirname, isAbsolute, join, relative } from 'node:path'
import { type BinaryConfig, digestFile, formatPlatform, type Project, run, settleAll } from '@polyship/core'
import { BinaryError, buildFailed } from '../errors.ts'
import { assertCleanTree } from '../git.ts'
import { buildDirName, executableName } from '../names.ts'
import { type BinaryBuildOptions, type BuildContext, buildContext, type Env, toolEnv } from '../options.ts'
import type { BinaryBuild, BuiltBinary, SkippedTarget } from '../result.ts'
import {
  binTargets,
  type CargoBinaries,
  type CargoPackage,
  type CargoProject,
  readCargoProject,
} from './cargo-metadata.ts'
import { type LockedPackage, readCargoLock, readRustDependencies } from './dependencies.ts'
import { planRustTarget, type RustTargetPlan, rustTriples } from './target.ts'
import {
  compareRustVersions,
  findZigbuild,
  type RustToolchain,
  readRustToolchain,
  type Zigbuild,
} from './toolchain.ts'

export interface RustBuildOptions extends BinaryBuildOptions {
  /** cargo-zigbuild to cross-link linux musl targets; default: found on PATH or in polyship's tool venv. `false`: never. */
  readonly zigbuild?: string | false
  /** Cargo's target directory; default cargo's own (inside the Cargo workspace, so path remapping covers it). */
  readonly targetDir?: string
}

/**
 * Builds a Rust project (polyship.binary.toolchain "rust") for every platform this
 * machine can: `cargo build --release --locked --target <triple>` with `+crt-static`
 * and `--remap-path-prefix` for the workspace and cargo's registry, so the bytes do not
 * depend on the checkout directory. Platforms that cannot be built here are returned
 * in `skipped` (and emitted as `skipped` events) with the reason.
 */
export async function buildRustBinaries(project: Project, options: RustBuildOptions): Promise<BinaryBuild> {
  const context = buildContext(project, 'rust', options)
  const env = toolEnv(context, {})
  if (options.requireCleanTree === true) await assertCleanTree(project.root, context.env)
  const [toolchain, cargo] = await Promise.all([
    readRustToolchain(project.root, env),
    readCargoProject(project.root, env),
  ])
  const lock = await readCargoLock(cargo.workspaceRoot)
  const selected = selectBins(project, context.config, cargo)
  for (const { package: pkg } of selected) {
    const rustVersion = pkg.rust_version
    if (rustVersion !== null && compareRustVersions(toolchain.release, rustVersion) < 0) {
      throw new BinaryError(
        'BINARY_TOOLCHAIN_MISSING',
        `${pkg.manifest_path} needs Rust ${rustVersion} (rust-version), but rustc is ${toolchain.release}`,
        { hint: `install Rust ${rustVersion} or newer (rustup update) and build again` },
      )
    }
    if (pkg.version !== context.version && options.snapshot !== true) {
      throw new BinaryError(
        'BINARY_VERSION_MISMATCH',
        `${pkg.manifest_path} says version ${pkg.version}, but ${project.name} is being released as ${context.version}; the binary would report the wrong version`,
        {
          hint: 'run polyship version (it writes the release version into Cargo.toml and Cargo.lock), then build again',
        },
      )
    }
  }
  const binaryNames = selected.flatMap((s) => s.bins)
  const { zigbuild, plans } = await rustTargetPlans(context, toolchain, options.zigbuild)
  const skipped: SkippedTarget[] = []
  const binaries: BuiltBinary[] = []
  const targetDir = options.targetDir ?? cargo.targetDirectory
  const buildOf = (built: readonly BuiltBinary[], skips: readonly SkippedTarget[]): BinaryBuild => ({
    project: project.name,
    version: context.version,
    toolchain: 'rust',
    binaryName: binaryNames[0]!,
    binaryNames,
    commit: options.commit,
    date: options.date,
    binaries: built,
    skipped: skips,
  })
  // each platform's archive is written (`onPlatform`) while the next platform compiles
  const platforms: Promise<unknown>[] = []
  try {
    for (const plan of plans) {
      if (plan.status === 'skipped') {
        skipped.push({ platform: plan.platform, target: plan.triple, reason: plan.reason })
        context.reporter.emit({
          type: 'skipped',
          project: project.name,
          what: `binary ${formatPlatform(plan.platform)} (${plan.triple})`,
          reason: plan.reason,
        })
        continue
      }
      const built = await buildTarget(context, plan, {
        selected,
        cargo,
        targetDir,
        lock,
        rustc: toolchain.release,
        zigbuild,
        outDir: options.outDir,
        signal: options.signal,
      })
      binaries.push(...built)
      if (options.onPlatform !== undefined) {
        const done = options.onPlatform(buildOf(built, []))
        done.catch(() => {}) // awaited below
        platforms.push(done)
      }
    }
  } catch (error) {
    await Promise.allSettled(platforms)
    throw error
  }
  await settleAll(platforms)
  if (binaries.length === 0) {
    throw new BinaryError(
      'BINARY_NOTHING_BUILT',
      `none of ${project.name}'s platforms can be built here:\n${skipped.map((s) => `  ${formatPlatform(s.platform)}: ${s.reason}`).join('\n')}`,
      { hint: 'install a listed standard library or linker, or build on a runner of the target platform' },
    )
  }
  return buildOf(binaries, skipped)
}

interface TargetBuild {
  readonly selected: readonly CargoBinaries[]
  readonly cargo: CargoProject
  readonly targetDir: string
  readonly lock: readonly LockedPackage[]
  readonly rustc: string
  readonly zigbuild: Zigbuild | undefined
  readonly outDir: string
  readonly signal: AbortSignal | undefined
}

async function buildTarget(
  context: BuildContext,
  plan: Extract<RustTargetPlan, { status: 'build' }>,
  build: TargetBuild,
): Promise<BuiltBinary[]> {
  const { project, reporter } = context
  const step = `cargo ${plan.linker === 'zigbuild' ? 'zigbuild' : 'build'} ${plan.triple}`
  reporter.emit({ type: 'step', project: project.name, step, status: 'start' })
  const env = toolEnv(context, {
    CARGO_TARGET_DIR: build.targetDir,
    CARGO_ENCODED_RUSTFLAGS: encodedRustflags(
      toolEnv(context, {}),
      plan.triple,
      build.cargo.workspaceRoot,
      build.targetDir,
    ),
    RUSTFLAGS: undefined,
    ...(plan.linker === 'zigbuild' && build.zigbuild !== undefined ? { PATH: build.zigbuild.path } : {}),
  })
  const [command, subcommand] =
    plan.linker === 'zigbuild' && build.zigbuild !== undefined
      ? [build.zigbuild.command, 'zigbuild']
      : ['cargo', 'build']
  // One cargo run per target for every selected bin: cargo shares the compiled dependencies.
  const selection = build.selected.flatMap(({ package: pkg, bins }) => [
    '-p',
    `${pkg.name}@${pkg.version}`,
    ...bins.flatMap((bin) => ['--bin', bin]),
  ])
  try {
    await context.slots.run(() =>
      run(command, [subcommand, '--release', '--locked', '--target', plan.triple, ...selection], {
        cwd: project.root,
        env,
        ...(build.signal === undefined ? {} : { signal: build.signal }),
      }),
    )
  } catch (error) {
    throw buildFailed(error, `cargo build for ${plan.triple} of ${project.name} failed`)
  }
  const dependencies = await readRustDependencies(project.root, plan.triple, {
    rustc: build.rustc,
    lock: build.lock,
    env,
    roots: build.selected.map((s) => s.package.id),
  })
  const built: BuiltBinary[] = []
  for (const [i, { bins }] of build.selected.entries()) {
    for (const bin of bins) {
      const file = executableName(bin, plan.platform)
      const out = join(build.outDir, buildDirName(bin, plan.platform), file)
      await mkdir(dirname(out), { recursive: true })
      await rm(out, { force: true })
      await copyFile(join(build.targetDir, plan.triple, 'release', file), out)
      await chmod(out, 0o755)
      const { digest, size } = await digestFile(out)
      const artifact = {
        kind: 'binary' as const,
        name: basename(out),
        project: project.name,
        version: context.version,
        platform: plan.platform,
        path: out,
        digest,
        size,
        mediaType: 'application/octet-stream',
        extra: { toolchain: 'rust', target: plan.triple, rustc: build.rustc, linker: plan.linker },
      }
      reporter.emit({ type: 'artifact', artifact })
      built.push({ name: bin, artifact, target: plan.triple, dependencies: dependencies[i]! })
    }
  }
  reporter.emit({ type: 'step', project: project.name, step, status: 'done' })
  return built
}

/**
 * RUSTFLAGS for a reproducible static build, appended to the caller's (CARGO_ENCODED_RUSTFLAGS
 * or RUSTFLAGS): `+crt-static` where the target's libc is linked dynamically by default, and
 * path remapping for the workspace, an outside target dir and cargo's registry and git
 * checkouts. rustc applies the last matching remap, so more specific prefixes come last.
 */
export function encodedRustflags(env: Env, triple: string, workspaceRoot: string, targetDir: string): string {
  const existing =
    env.CARGO_ENCODED_RUSTFLAGS !== undefined && env.CARGO_ENCODED_RUSTFLAGS !== ''
      ? env.CARGO_ENCODED_RUSTFLAGS.split('\x1f')
      : (env.RUSTFLAGS ?? '').split(/\s+/).filter(Boolean)
  const cargoHome = env.CARGO_HOME ?? join(env.HOME ?? homedir(), '.cargo')
  const flags = [...existing]
  if (/-(gnu|musl|msvc)/.test(triple)) flags.push('-C', 'target-feature=+crt-static')
  const remaps: [string, string][] = [
    [join(cargoHome, 'registry', 'src'), '/cargo/registry/src'],
    [join(cargoHome, 'git', 'checkouts'), '/cargo/git/checkouts'],
    [workspaceRoot, '.'],
  ]
  const inside = relative(workspaceRoot, targetDir)
  if (inside.startsWith('..') || isAbsolute(inside)) remaps.push([targetDir, './target'])
  for (const [from, to] of remaps) flags.push(`--remap-path-prefix=${from}=${to}`)
  return flags.join('\x1f')
}

/**
 * The packages and bin targets to ship. Packages: `polyship.binary.packages` (workspace
 * members by name), else the project's own package, else (a virtual workspace root) every
 * default member with a bin target. Bins: `name` (one), `bins` (several), else every bin
 * target of those packages. A bin name shipped twice is refused: both would land in one file.
 */
export function selectBins(project: Project, config: BinaryConfig, cargo: CargoProject): CargoBinaries[] {
  const at = `${project.manifestPath}: polyship.binary`
  const invalid = (message: string, hint: string): never => {
    throw new BinaryError('BINARY_PROJECT_INVALID', `${at}${message}`, { hint })
  }
  const memberNames = cargo.members.map((m) => m.name).join(', ')
  let packages: readonly CargoPackage[]
  if (config.packages !== undefined) {
    packages = config.packages.map(
      (name, i) =>
        cargo.members.find((m) => m.name === name) ??
        invalid(
          `.packages[${i}]: "${name}" is not a member of the Cargo workspace at ${cargo.workspaceRoot} (members: ${memberNames || 'none'})`,
          'list workspace member package names (the [package] name of each member Cargo.toml)',
        ),
    )
  } else if (cargo.package !== undefined) {
    packages = [cargo.package]
  } else {
    packages = cargo.defaultMembers.filter((m) => binTargets(m).length > 0)
    if (packages.length === 0) {
      invalid(
        `: ${cargo.manifest} is a virtual workspace manifest and none of its members has a bin target (members: ${memberNames || 'none'})`,
        'point the polyship project at a package with a bin target, or list members in polyship.binary.packages',
      )
    }
  }
  if (config.name !== undefined && config.bins !== undefined) {
    invalid(': set name (one bin target) or bins (several), not both', 'keep bins and drop name')
  }
  const wanted = config.bins ?? (config.name === undefined ? undefined : [config.name])
  const field = config.bins === undefined ? '.name' : '.bins'
  const available = packages.flatMap((pkg) => binTargets(pkg).map((bin) => ({ pkg, bin })))
  const shown = available.map((a) => (packages.length > 1 ? `${a.bin} (${a.pkg.name})` : a.bin)).join(', ')
  if (wanted === undefined && available.length === 0) {
    invalid(
      `: ${packages.map((p) => p.manifest_path).join(', ')} has no bin target`,
      'add a src/main.rs or a [[bin]] section, or list workspace members with bin targets in polyship.binary.packages',
    )
  }
  const chosen =
    wanted === undefined
      ? available
      : wanted.map((bin, i) => {
          const matches = available.filter((a) => a.bin === bin)
          if (matches.length === 0) {
            invalid(
              `${field}${config.bins === undefined ? '' : `[${i}]`}: no bin target named "${bin}" in ${packages.map((p) => p.manifest_path).join(', ')} (bin targets: ${shown || 'none'})`,
              `set polyship.binary${field} to bin targets of ${packages.map((p) => p.name).join(', ')}`,
            )
          }
          return matches[0]!
        })
  const names = new Map<string, CargoPackage>()
  for (const { pkg, bin } of chosen) {
    const other = names.get(bin)
    if (other !== undefined && other !== pkg) {
      invalid(
        `: packages ${other.name} and ${pkg.name} both have a bin target named "${bin}"; both cannot ship`,
        'rename one bin target, or select the other package with polyship.binary.packages / bins',
      )
    }
    names.set(bin, pkg)
  }
  return packages.flatMap((pkg) => {
    const bins = chosen.filter((c) => c.pkg === pkg).map((c) => c.bin)
    return bins.length === 0 ? [] : [{ package: pkg, bins }]
  })
}

/** How each platform gets built on this machine, or why it is skipped (cargo-zigbuild probed when useful). */
export async function rustTargetPlans(
  context: BuildContext,
  toolchain: RustToolchain,
  zigbuildSetting: string | false | undefined,
): Promise<{ zigbuild: Zigbuild | undefined; plans: RustTargetPlan[] }> {
  const zigbuild = await zigbuildIfUseful(context, toolchain, zigbuildSetting)
  const linkers = configuredLinkers(toolEnv(context, {}))
  const plans = context.platforms.map((platform, i) =>
    planRustTarget(
      platform,
      { ...toolchain, zigbuild: zigbuild !== undefined, linkers },
      `${context.project.manifestPath}: platform ${i + 1}`,
    ),
  )
  return { zigbuild, plans }
}

/**
 * Probes cargo-zigbuild only when some platform could use it: a linux target other than the
 * host whose musl standard library is installed (zig links musl; it provides no std).
 */
async function zigbuildIfUseful(
  context: BuildContext,
  toolchain: RustToolchain,
  setting: string | false | undefined,
): Promise<Zigbuild | undefined> {
  if (setting === false) return undefined
  const useful = context.platforms.some((p) => {
    const triples = rustTriples(p)
    return (
      p.os === 'linux' &&
      !triples.includes(toolchain.host) &&
      triples.some((t) => t.includes('-musl') && toolchain.installed.has(t))
    )
  })
  return useful ? findZigbuild(context.env, setting) : undefined
}

/** Triples, in CARGO_TARGET_<TRIPLE> spelling, whose linker the environment configures. */
function configuredLinkers(env: Env): Set<string> {
  const linkers = new Set<string>()
  for (const [key, value] of Object.entries(env)) {
    const match = /^CARGO_TARGET_(.+)_LINKER$/.exec(key)
    if (match !== null && value) linkers.add(match[1]!)
  }
  return linkers
}
