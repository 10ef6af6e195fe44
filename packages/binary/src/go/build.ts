import { existsSync } from 'node:fs'
import { chmod, rm } from 'node:fs/promises'
import { basename, join, posix } from 'node:path'
import { digestFile, formatCommand, formatPlatform, mapLimit, type Project, run } from '@polyship/core'
import { BinaryError, buildFailed } from '../errors.ts'
import { assertCleanTree } from '../git.ts'
import { buildDirName, executableName } from '../names.ts'
import { type BinaryBuildOptions, type BuildContext, buildContext, toolEnv } from '../options.ts'
import type { BinaryBuild, BuiltBinary } from '../result.ts'
import { readGoBuildInfo } from './build-info.ts'
import { readGoMod } from './go-mod.ts'
import { type GoTarget, goTarget } from './target.ts'
import { checkGoToolchain } from './toolchain.ts'

/**
 * Cross-compiles a Go project (polyship.binary.toolchain "go") for every platform:
 * `CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X <version/commit/date>"` with
 * GOFLAGS=-mod=readonly and GOTOOLCHAIN=local, then reads each binary's embedded build
 * info for the SBOM. Go targets every platform offline, so nothing is skipped.
 */
export async function buildGoBinaries(project: Project, options: BinaryBuildOptions): Promise<BinaryBuild> {
  const context = buildContext(project, 'go', options)
  if (options.requireCleanTree === true) await assertCleanTree(project.root, context.env)
  const goMod = await readGoMod(project.root)
  const toolchain = await checkGoToolchain(goMod, context.env, context.reporter)
  const targets = context.platforms.map((platform, i) =>
    goTarget(platform, toolchain.targets, `${project.manifestPath}: platform ${i + 1}`),
  )
  const main = context.config.main ?? '.'
  const binaryName = context.config.name ?? defaultGoBinaryName(goMod.module, main)
  const ldflags = goLdflags(
    { version: context.version, commit: options.commit, date: options.date },
    context.config.ldflags,
  )
  const build = {
    binaryName,
    main,
    ldflags,
    goflags: toolchain.goflags,
    outDir: options.outDir,
    signal: options.signal,
  }
  // Each binary is hashed and its build info read while the next one compiles.
  const described: Promise<BuiltBinary>[] = []
  try {
    await mapLimit(targets, context.concurrency, async (target, index) => {
      const compiled = await compileTarget(context, target, build)
      const binary = describeBinary(context, compiled)
      binary.catch(() => {}) // awaited below; no unhandled rejection while later targets compile
      described[index] = binary
    })
  } catch (error) {
    await Promise.allSettled(described)
    throw error
  }
  const binaries = await Promise.all(described)
  return {
    project: project.name,
    version: context.version,
    toolchain: 'go',
    binaryName,
    commit: options.commit,
    date: options.date,
    binaries,
    skipped: [],
  }
}

interface TargetBuild {
  readonly binaryName: string
  readonly main: string
  readonly ldflags: string
  /** The user's GOFLAGS (environment or `go env -w`), kept beside polyship's `-mod=`. */
  readonly goflags: string
  readonly outDir: string
  readonly signal: AbortSignal | undefined
}

interface CompiledTarget {
  readonly target: GoTarget
  readonly out: string
  readonly env: Readonly<Record<string, string | undefined>>
  readonly step: string
}

async function compileTarget(
  context: BuildContext,
  target: GoTarget,
  build: TargetBuild,
): Promise<CompiledTarget> {
  const { project, reporter } = context
  const step = `go build ${target.name}${target.env.GOARM === undefined ? '' : ` GOARM=${target.env.GOARM}`}`
  reporter.emit({ type: 'step', project: project.name, step, status: 'start' })
  const out = join(
    build.outDir,
    buildDirName(build.binaryName, target.platform),
    executableName(build.binaryName, target.platform),
  )
  const env = toolEnv(context, {
    ...target.env,
    CGO_ENABLED: '0',
    GOTOOLCHAIN: 'local',
    GOFLAGS: readonlyGoflags(
      [build.goflags, context.config.env?.GOFLAGS],
      existsSync(join(project.root, 'vendor', 'modules.txt')),
    ),
  })
  await rm(out, { force: true })
  try {
    // -buildvcs=false: go would stamp HEAD's revision and time in, so any commit would change the bytes.
    await run(
      'go',
      ['build', '-trimpath', '-buildvcs=false', '-ldflags', build.ldflags, '-o', out, build.main],
      {
        cwd: project.root,
        env,
        ...(build.signal === undefined ? {} : { signal: build.signal }),
      },
    )
  } catch (error) {
    const shown = ['CGO_ENABLED', 'GOOS', 'GOARCH', 'GOARM', 'GOFLAGS', 'GOTOOLCHAIN'].flatMap((key) =>
      env[key] === undefined ? [] : [formatCommand(`${key}=${env[key]}`, [])],
    )
    throw buildFailed(
      error,
      `go build for ${formatPlatform(target.platform)} of ${project.name} failed`,
      `${shown.join(' ')} `,
    )
  }
  await chmod(out, 0o755)
  return { target, out, env, step }
}

/** Digest, size and embedded build info of a compiled binary, as a `binary` artifact. */
async function describeBinary(context: BuildContext, compiled: CompiledTarget): Promise<BuiltBinary> {
  const { project, reporter } = context
  const { target, out } = compiled
  const [{ digest, size }, dependencies] = await Promise.all([
    digestFile(out),
    readGoBuildInfo(out, compiled.env),
  ])
  const artifact = {
    kind: 'binary' as const,
    name: basename(out),
    project: project.name,
    version: context.version,
    platform: target.platform,
    path: out,
    digest,
    size,
    mediaType: 'application/octet-stream',
    extra: { toolchain: 'go', target: target.name, goVersion: dependencies.goVersion },
  }
  reporter.emit({ type: 'artifact', artifact })
  reporter.emit({ type: 'step', project: project.name, step: compiled.step, status: 'done' })
  return { artifact, target: target.name, dependencies }
}

/** What `go build` would name it: the main package's directory, or the module's last element without a /vN suffix. */
export function defaultGoBinaryName(module: string, main: string): string {
  const clean = posix.normalize(main.replaceAll('\\', '/')).replace(/\/+$/, '')
  if (clean !== '.' && clean !== '') return posix.basename(clean)
  const parts = module.split('/')
  const last = parts.at(-1) ?? module
  return /^v\d+$/.test(last) && parts.length > 1 ? parts.at(-2)! : last
}

/** `-s -w -X <pkg>.version=... -X <pkg>.commit=... -X <pkg>.date=...`, quoting values Go's flag parser would split. */
export function goLdflags(
  values: { readonly version: string; readonly commit: string; readonly date: string },
  names: { readonly version?: string; readonly commit?: string; readonly date?: string } = {},
): string {
  const x = (name: string, value: string) => {
    const flag = `${name}=${value}`
    if (!/[\s'"]/.test(flag)) return `-X ${flag}`
    if (!flag.includes("'")) return `-X '${flag}'`
    if (!flag.includes('"')) return `-X "${flag}"`
    throw new BinaryError(
      'BINARY_PROJECT_INVALID',
      `cannot pass ${JSON.stringify(flag)} to -ldflags -X: it holds both quote kinds`,
    )
  }
  return [
    '-s',
    '-w',
    x(names.version ?? 'main.version', values.version),
    x(names.commit ?? 'main.commit', values.commit),
    x(names.date ?? 'main.date', values.date),
  ].join(' ')
}

/**
 * GOFLAGS with `-mod=readonly` (a release never edits go.mod or go.sum) in place of any
 * other `-mod=`; `vendored` keeps `-mod=vendor`, which is read-only too and builds offline.
 */
export function readonlyGoflags(sources: readonly (string | undefined)[], vendored = false): string {
  const flags = sources
    .flatMap((source) => (source ?? '').split(/\s+/))
    .filter((flag) => flag !== '' && !flag.startsWith('-mod='))
  return [...new Set(flags), vendored ? '-mod=vendor' : '-mod=readonly'].join(' ')
}
