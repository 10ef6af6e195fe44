import { mkdir, rm } from 'node:fs/promises'
import { basename, join, relative } from 'node:path'
import {
  archiveBinaries,
  type BinaryBuild,
  type BinaryPackages,
  buildGoBinaries,
  buildRustBinaries,
  checkArchiveNames,
  type Slots,
  unlimitedSlots,
} from '@polyship/binary'
import {
  digestFile,
  formatPlatform,
  hostPlatform,
  isPolyshipError,
  type Platform,
  type Project,
  platformsOf,
  run,
  samePlatform,
} from '@polyship/core'
import { packPackage } from '@polyship/npm'
import { buildWheels } from '@polyship/wheel'
import { DEFAULT_BINARY_PLATFORMS } from '../plan.ts'
import {
  BUILD_UNIT_SCHEMA,
  type BuildUnit,
  type LoadedUnit,
  readBuildUnit,
  type UnitInputs,
  unitName,
  writeBuildUnit,
} from './build-unit.ts'
import type { ReleaseContext } from './context.ts'
import { unitLockFile, withUnitLock } from './lock.ts'
import { compilesFormat } from './selection.ts'
import type { SourceTree } from './source-trees.ts'
import { sourceTreeOf } from './source-trees.ts'
import { inputsChanged, type UnitFormats, unitInputs, wheelTools } from './unit-inputs.ts'

/** The directory of a project's unit: `<buildDir>/<name>`, or `<name>--<os>-<arch>` for a platform shard. */
export function unitDir(context: ReleaseContext, project: Project): string {
  const suffix = context.platforms?.map((p) => formatPlatform(p).replaceAll('/', '-')).join('+')
  return join(context.buildDir, `${unitName(project)}${suffix ? `--${suffix}` : ''}`)
}

type Skipped = { what: string; reason: string }

/** What compiling a project's binaries gave: the build and its archives, or (platform shards) only skips. */
type CompiledBinaries =
  | {
      readonly build: BinaryBuild
      readonly archives: BinaryPackages['archives']
      readonly skipped: Skipped[]
    }
  | { readonly build?: undefined; readonly skipped: Skipped[] }

/**
 * The unit already in `dir` when it was built from this very commit (or from another HEAD
 * with the same source stamp commit: nothing the project builds from changed in between),
 * version and SOURCE_DATE_EPOCH, out of a clean project directory whose content is still
 * exactly that (same git tree), built with the same toolchains, build flags and compile
 * config (`inputs`; a mismatch is logged with its reason), and every file still hashes to
 * what build.json says. Builds are reproducible, so rebuilding it would give the same bytes;
 * a same-commit re-run (resuming a crashed release) and the release of a merge commit after
 * its PR's build (restored by Nx's cache) skip the toolchains. A unit compiled from
 * uncommitted changes is never reused, even once the changes are reverted: its bytes came
 * from no commit.
 */
async function reusableUnit(
  dir: string,
  project: Project,
  context: ReleaseContext,
  source: SourceTree,
  inputs: UnitInputs,
): Promise<LoadedUnit | undefined> {
  if (context.commit === '') return undefined
  // An unreadable unit is rebuilt, never trusted.
  const unit = await readBuildUnit(dir).catch((error: unknown) => {
    if (isPolyshipError(error) || error instanceof SyntaxError) return undefined
    throw error
  })
  const sameSources =
    unit?.sourceCommit !== undefined && unit.sourceCommit === context.stampOf(project).commit
  if (
    unit === undefined ||
    (unit.commit !== context.commit && !sameSources) ||
    unit.version !== context.versionOf(project) ||
    unit.sourceDateEpoch !== context.stampOf(project).epoch ||
    unit.clean !== true ||
    !source.clean ||
    unit.sourceTree !== source.tree
  )
    return undefined
  const changed = inputsChanged(unit.inputs, inputs)
  if (changed !== undefined) {
    context.reporter.emit({
      type: 'log',
      level: 'info',
      message: `${project.name}: rebuilding ${dir} (same sources, but ${changed})`,
    })
    return undefined
  }
  for (const file of [...unit.binaries, ...unit.archives, ...unit.distributions, ...(unit.tarballs ?? [])]) {
    const found = await digestFile(join(dir, file.path)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined
      throw error
    })
    if (found?.digest !== file.digest) return undefined
  }
  if (unit.commit === context.commit) return { dir, unit }
  // Built at another HEAD from the same sources: the same bytes, now this commit's unit
  // (shards, --merge and provenance all speak of HEAD).
  const restamped: BuildUnit = { ...unit, commit: context.commit }
  await writeBuildUnit(dir, restamped)
  return { dir, unit: restamped }
}

/** How one project is built beside others. */
export interface BuildProjectOptions {
  /** Platforms of this project compiled at once (default 1); `slots` bounds them with every other project's. */
  readonly concurrency?: number
  /** Where every compile (go, cargo, maturin, pnpm pack) waits its turn; `buildUnits` shares one set. */
  readonly slots?: Slots
  /** Where archives wait theirs: each platform's is written as soon as it is built, while others compile. */
  readonly packaging?: Slots
}

async function binaries(
  project: Project,
  context: ReleaseContext,
  dir: string,
  options: BuildProjectOptions,
): Promise<CompiledBinaries | undefined> {
  const config = project.config.binary!
  const configured = platformsOf(config, DEFAULT_BINARY_PLATFORMS)
  const platforms =
    context.platforms === undefined
      ? configured
      : configured.filter((p) => context.platforms!.some((q) => samePlatform(p, q)))
  if (platforms.length === 0) return undefined
  // archives are written one platform at a time: two platforms under one name are refused first
  checkArchiveNames(project, { platforms })
  const stamp = context.stampOf(project)
  const env = context.envOf(project)
  const packaging = options.packaging ?? unlimitedSlots
  const archives: BinaryPackages['archives'][number][] = []
  const buildOptions = {
    outDir: dir,
    commit: stamp.commit,
    date: stamp.date,
    version: context.versionOf(project),
    platforms,
    snapshot: context.snapshot,
    env,
    reporter: context.reporter,
    concurrency: Math.max(1, options.concurrency ?? 1),
    slots: options.slots ?? unlimitedSlots,
    onPlatform: async (built: BinaryBuild) => {
      const written = await packaging.run(() =>
        archiveBinaries(project, built, { outDir: dir, env, reporter: context.reporter }),
      )
      archives.push(...written)
    },
  }
  let build: BinaryBuild
  try {
    build =
      config.toolchain === 'go'
        ? await buildGoBinaries(project, buildOptions)
        : await buildRustBinaries(project, buildOptions)
  } catch (error) {
    // A platform shard may hold only platforms this runner cannot build; the merge checks
    // that some shard built (or skipped) every platform, as a single run would.
    if (context.platforms === undefined || !isPolyshipError(error) || error.code !== 'BINARY_NOTHING_BUILT')
      throw error
    return { skipped: platforms.map((p) => ({ what: `binary ${formatPlatform(p)}`, reason: error.message })) }
  }
  // in the build's platform order, whatever order the archives were finished in
  const order = [...new Set(build.binaries.map((b) => formatPlatform(b.artifact.platform)))]
  const position = (a: { readonly platform: Platform }) => order.indexOf(formatPlatform(a.platform))
  return {
    build,
    archives: archives.sort((a, b) => position(a) - position(b)),
    skipped: build.skipped.map((s) => ({ what: `binary ${formatPlatform(s.platform)}`, reason: s.reason })),
  }
}

/**
 * Wheels and npm packages are built once per release: by a run without --platform, or by the
 * platform shard that includes this machine's platform (what maturin's `host` target builds for).
 */
function buildsOnHost(context: ReleaseContext): boolean {
  const host = hostPlatform()
  return context.platforms === undefined || context.platforms.some((p) => samePlatform(p, host))
}

const pnpmVersions = new WeakMap<ReleaseContext, Promise<string>>()

/** `pnpm --version`, asked once per release rather than once per npm package. */
function pnpmVersion(context: ReleaseContext): Promise<string> {
  let version = pnpmVersions.get(context)
  if (version === undefined) {
    version = run('pnpm', ['--version'], { env: context.env, timeoutMs: 60_000 }).then((r) => r.stdout.trim())
    pnpmVersions.set(context, version)
  }
  return version
}

/**
 * Compiles one project (binaries and their archives, wheels and the sdist) into a fresh
 * unit directory and records what it produced. Images and charts are assembled later from
 * the units, so split jobs compile and one merge job assembles, attests and publishes.
 */
export async function buildProject(
  project: Project,
  context: ReleaseContext,
  options: BuildProjectOptions = {},
): Promise<LoadedUnit> {
  const dir = unitDir(context, project)
  // One writer per unit across processes; builds of other projects go on beside it.
  return withUnitLock(
    unitLockFile(context.buildDir, basename(dir)),
    { project: project.name, reporter: context.reporter },
    () => buildUnitIn(dir, project, context, options),
  )
}

async function buildUnitIn(
  dir: string,
  project: Project,
  context: ReleaseContext,
  options: BuildProjectOptions,
): Promise<LoadedUnit> {
  const formats: UnitFormats = {
    binary: compilesFormat(project, 'binary', context.skip),
    wheel: compilesFormat(project, 'wheel', context.skip) && buildsOnHost(context),
    npm: project.config.npm !== undefined && !context.skip.has('npm') && buildsOnHost(context),
  }
  // the source tree (git) and the toolchain questions are asked at once
  const [source, inputs] = await Promise.all([
    context.commit === '' ? undefined : sourceTreeOf(project, context),
    unitInputs(project, context, formats, () => pnpmVersion(context)),
  ])
  const reused =
    context.reuseUnits && source !== undefined
      ? await reusableUnit(dir, project, context, source, inputs)
      : undefined
  if (reused !== undefined) {
    context.reporter.emit({
      type: 'log',
      level: 'info',
      message: `${project.name}: reusing ${dir} (built from this commit)`,
    })
    return reused
  }
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  const rel = (path: string) => relative(dir, path)
  const toolchains: Record<string, string> = {}
  const skipped: Skipped[] = []

  const compiled = formats.binary ? await binaries(project, context, dir, options) : undefined
  skipped.push(...(compiled?.skipped ?? []))
  const bin = compiled?.build === undefined ? undefined : compiled
  const deps = bin?.build.binaries[0]?.dependencies
  if (deps?.toolchain === 'go') toolchains.go = deps.goVersion
  if (deps?.toolchain === 'rust') toolchains.rustc = deps.rustc

  const slots = options.slots ?? unlimitedSlots
  const wheelOptions = formats.wheel ? (await wheelTools(project, context)).options : undefined
  const wheels =
    wheelOptions === undefined
      ? undefined
      : await slots.run(() =>
          buildWheels(project, {
            ...wheelOptions,
            outDir: dir,
            env: context.envOf(project),
            sourceDateEpoch: context.stampOf(project).epoch,
            reporter: context.reporter,
            // a second build only to compare costs as much as the first: opt-in
            checkReproducible: project.config.wheel?.checkReproducible ?? false,
          }),
        )
  for (const s of wheels?.skipped ?? []) skipped.push({ what: `wheel ${s.target}`, reason: s.reason })
  if (wheels !== undefined) Object.assign(toolchains, wheels.toolchains)

  // packed once, like wheels; `pnpm pack` runs the package's prepack and prepare scripts
  const tarball = formats.npm
    ? await slots.run(() =>
        packPackage(project.root, {
          outDir: join(dir, 'npm'),
          name: project.name,
          // pnpm packs package.json's version: a --snapshot (never published) keeps it
          version: context.snapshot ? project.version : context.versionOf(project),
          env: context.envOf(project),
        }),
      )
    : undefined
  if (tarball !== undefined) toolchains.pnpm = await pnpmVersion(context)

  const unit: BuildUnit = {
    schema: BUILD_UNIT_SCHEMA,
    project: project.name,
    version: context.versionOf(project),
    commit: context.commit,
    ...(source === undefined ? {} : { sourceTree: source.tree, clean: source.clean }),
    ...(context.stampOf(project).commit === '' ? {} : { sourceCommit: context.stampOf(project).commit }),
    sourceDateEpoch: context.stampOf(project).epoch,
    ...(bin === undefined ? {} : { binaryName: bin.build.binaryName, toolchain: bin.build.toolchain }),
    binaries: (bin?.build.binaries ?? []).map((b) => ({
      name: b.name,
      path: rel(b.artifact.path),
      digest: b.artifact.digest,
      size: b.artifact.size,
      platform: formatPlatform(b.artifact.platform),
      target: b.target,
      dependencies: b.dependencies,
    })),
    archives: (bin?.archives ?? []).map((a) => ({
      path: rel(a.path),
      name: a.name,
      digest: a.digest,
      size: a.size,
      platform: formatPlatform(a.platform),
    })),
    distributions: (wheels?.distributions ?? []).map((d) => ({
      kind: d.kind,
      filename: d.filename,
      path: rel(d.path),
      digest: d.digest,
      size: d.size,
    })),
    ...(tarball === undefined
      ? {}
      : {
          tarballs: [
            {
              filename: tarball.filename,
              path: rel(tarball.path),
              digest: tarball.digest,
              size: tarball.size,
            },
          ],
        }),
    skipped,
    toolchains,
    inputs,
  }
  // No checksums file in the unit: checksums cover every platform and are written at assembly.
  await writeBuildUnit(dir, unit)
  return { dir, unit }
}
