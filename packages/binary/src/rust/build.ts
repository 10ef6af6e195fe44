import { chmod, copyFile, mkdir, rm } from 'node:fs/promises'
import { homedir } from 'node:os'
import { basename, dirname, isAbsolute, join, relative } from 'node:path'
import { digestFile, formatPlatform, type Project, run } from '@polyship/core'
import { BinaryError, buildFailed } from '../errors.ts'
import { assertCleanTree } from '../git.ts'
import { buildDirName, executableName } from '../names.ts'
import { type BinaryBuildOptions, type BuildContext, buildContext, type Env, toolEnv } from '../options.ts'
import type { BinaryBuild, BuiltBinary, SkippedTarget } from '../result.ts'
import { type CargoProject, readCargoProject } from './cargo-metadata.ts'
import { type LockedPackage, readCargoLock, readRustDependencies } from './dependencies.ts'
import { planRustTarget, type RustTargetPlan, rustTriples } from './target.ts'
import { compareRustVersions, findZigbuild, readRustToolchain, type Zigbuild } from './toolchain.ts'

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
  const rustVersion = cargo.package.rust_version
  if (rustVersion !== null && compareRustVersions(toolchain.release, rustVersion) < 0) {
    throw new BinaryError(
      'BINARY_TOOLCHAIN_MISSING',
      `${cargo.package.manifest_path} needs Rust ${rustVersion} (rust-version), but rustc is ${toolchain.release}`,
      { hint: `install Rust ${rustVersion} or newer (rustup update) and build again` },
    )
  }
  if (cargo.package.version !== context.version && options.snapshot !== true) {
    throw new BinaryError(
      'BINARY_VERSION_MISMATCH',
      `${cargo.package.manifest_path} says version ${cargo.package.version}, but ${project.name} is being released as ${context.version}; the binary would report the wrong version`,
      {
        hint: 'run polyship version (it writes the release version into Cargo.toml and Cargo.lock), then build again',
      },
    )
  }
  const lock = await readCargoLock(cargo.workspaceRoot)
  const binaryName = pickBin(project, cargo)
  const zigbuild = await zigbuildIfUseful(context, toolchain.host, options.zigbuild)
  const plans = context.platforms.map((platform, i) =>
    planRustTarget(
      platform,
      { ...toolchain, zigbuild: zigbuild !== undefined, linkers: configuredLinkers(env) },
      `${project.manifestPath}: platform ${i + 1}`,
    ),
  )
  const skipped: SkippedTarget[] = []
  const binaries: BuiltBinary[] = []
  const targetDir = options.targetDir ?? cargo.targetDirectory
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
    binaries.push(
      await buildTarget(context, plan, {
        binaryName,
        cargo,
        targetDir,
        lock,
        rustc: toolchain.release,
        zigbuild,
        outDir: options.outDir,
        signal: options.signal,
      }),
    )
  }
  if (binaries.length === 0) {
    throw new BinaryError(
      'BINARY_NOTHING_BUILT',
      `none of ${project.name}'s platforms can be built here:\n${skipped.map((s) => `  ${formatPlatform(s.platform)}: ${s.reason}`).join('\n')}`,
      { hint: 'install a listed standard library or linker, or build on a runner of the target platform' },
    )
  }
  return {
    project: project.name,
    version: context.version,
    toolchain: 'rust',
    binaryName,
    commit: options.commit,
    date: options.date,
    binaries,
    skipped,
  }
}

interface TargetBuild {
  readonly binaryName: string
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
): Promise<BuiltBinary> {
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
  try {
    await run(
      command,
      [subcommand, '--release', '--locked', '--target', plan.triple, '--bin', build.binaryName],
      {
        cwd: project.root,
        env,
        ...(build.signal === undefined ? {} : { signal: build.signal }),
      },
    )
  } catch (error) {
    throw buildFailed(error, `cargo build for ${plan.triple} of ${project.name} failed`)
  }
  const file = executableName(build.binaryName, plan.platform)
  const built = join(build.targetDir, plan.triple, 'release', file)
  const out = join(build.outDir, buildDirName(build.binaryName, plan.platform), file)
  await mkdir(dirname(out), { recursive: true })
  await rm(out, { force: true })
  await copyFile(built, out)
  await chmod(out, 0o755)
  const [{ digest, size }, dependencies] = await Promise.all([
    digestFile(out),
    readRustDependencies(project.root, plan.triple, { rustc: build.rustc, lock: build.lock, env }),
  ])
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
  reporter.emit({ type: 'step', project: project.name, step, status: 'done' })
  return { artifact, target: plan.triple, dependencies }
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

/** The bin target to ship: polyship.binary.name, else the one named like the package, else the only one. */
function pickBin(project: Project, cargo: CargoProject): string {
  const wanted = project.config.binary?.name
  const name =
    wanted ??
    (cargo.bins.includes(cargo.package.name)
      ? cargo.package.name
      : cargo.bins.length === 1
        ? cargo.bins[0]
        : undefined)
  if (name === undefined || !cargo.bins.includes(name)) {
    throw new BinaryError(
      'BINARY_PROJECT_INVALID',
      `${cargo.package.manifest_path}: ${wanted === undefined ? 'cannot tell which bin target to ship' : `no bin target named "${wanted}"`} (bin targets: ${cargo.bins.join(', ') || 'none'})`,
      { hint: 'set polyship.binary.name in package.json to one of the bin targets' },
    )
  }
  return name
}

/** Probes cargo-zigbuild only when some platform could use it (a linux target other than the host). */
async function zigbuildIfUseful(
  context: BuildContext,
  host: string,
  setting: string | false | undefined,
): Promise<Zigbuild | undefined> {
  if (setting === false) return undefined
  const useful = context.platforms.some((p) => p.os === 'linux' && !rustTriples(p).includes(host))
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
