import { existsSync } from 'node:fs'
import { chmod, rm } from 'node:fs/promises'
import { basename, join } from 'node:path'
import {
  digestFile,
  formatCommand,
  formatPlatform,
  mapLimit,
  type Project,
  run,
  settleAll,
} from '@polyship/core'
import { BinaryError, buildFailed } from '../errors.ts'
import { assertCleanTree } from '../git.ts'
import { buildDirName, executableName } from '../names.ts'
import { type BinaryBuildOptions, type BuildContext, buildContext } from '../options.ts'
import type { BinaryBuild, BuiltBinary } from '../result.ts'
import { type GoBinary, resolveGoBinaries } from './binaries.ts'
import { readGoBuildInfo } from './build-info.ts'
import { type GoTarget, goPlatforms, goTarget } from './target.ts'
import { checkGoToolchain } from './toolchain.ts'

/**
 * Cross-compiles a Go project (polyship.binary.toolchain "go") for every platform, each of
 * its binaries (`binaries`, else `main`): `CGO_ENABLED=0 go build -trimpath [-tags ...]
 * -ldflags "-s -w -X <version/commit/date> <extra>"` in the module's root with
 * GOFLAGS=-mod=readonly and GOTOOLCHAIN=local, then reads each binary's embedded build
 * info for the SBOM. Go targets every platform offline, so nothing is skipped.
 */
export async function buildGoBinaries(project: Project, options: BinaryBuildOptions): Promise<BinaryBuild> {
  const context = buildContext(project, 'go', options)
  if (options.requireCleanTree === true) await assertCleanTree(project.root, context.env)
  const specs = await resolveGoBinaries(project, context.config)
  const goMods = [...new Map(specs.map((s) => [s.goMod.file, s.goMod])).values()]
  const toolchains = await Promise.all(
    goMods.map((goMod) => checkGoToolchain(goMod, context.env, context.reporter)),
  )
  const toolchain = toolchains[0]!
  const targets = goPlatforms(context.config, context.platforms).map(({ platform, goamd64 }, i) =>
    goTarget(platform, toolchain.targets, `${project.manifestPath}: platform ${i + 1}`, goamd64),
  )
  const values = { version: context.version, commit: options.commit, date: options.date }
  const targetBuilds: TargetBuild[] = specs.map((spec) => ({
    spec,
    ldflags: goLdflags(values, spec.ldflags, {
      strip: spec.strip,
      where: `${project.manifestPath}: ${spec.field}.ldflags.extra`,
    }),
    goflags: toolchain.goflags,
    outDir: options.outDir,
    signal: options.signal,
    showName: specs.length > 1,
  }))
  const jobs = targets.flatMap((target, t) => targetBuilds.map((build) => ({ target, build, t })))
  const buildOf = (binaries: readonly BuiltBinary[]): BinaryBuild => ({
    project: project.name,
    version: context.version,
    toolchain: 'go',
    binaryName: specs[0]!.name,
    binaryNames: specs.map((s) => s.name),
    commit: options.commit,
    date: options.date,
    binaries,
    skipped: [],
  })
  // Each binary is hashed and its build info read while the next one compiles, and each
  // platform goes to `onPlatform` (its archive) once its last binary is described.
  const described: Promise<BuiltBinary>[] = []
  const platforms: Promise<unknown>[] = []
  const left = targets.map(() => targetBuilds.length)
  try {
    await mapLimit(jobs, context.concurrency, async ({ target, build, t }, index) => {
      const compiled = await context.slots.run(() => compileTarget(context, target, build))
      const binary = describeBinary(context, compiled)
      binary.catch(() => {}) // awaited below; no unhandled rejection while later targets compile
      described[index] = binary
      left[t]! -= 1
      if (options.onPlatform !== undefined && left[t] === 0) {
        const ofTarget = described.slice(t * targetBuilds.length, (t + 1) * targetBuilds.length)
        const done = Promise.all(ofTarget).then((binaries) => options.onPlatform!(buildOf(binaries)))
        done.catch(() => {})
        platforms.push(done)
      }
    })
  } catch (error) {
    await Promise.allSettled([...described, ...platforms])
    throw error
  }
  const binaries = await Promise.all(described)
  await settleAll(platforms)
  return buildOf(binaries)
}

interface TargetBuild {
  readonly spec: GoBinary
  readonly ldflags: string
  /** The user's GOFLAGS (environment or `go env -w`), kept beside polyship's `-mod=`. */
  readonly goflags: string
  readonly outDir: string
  readonly signal: AbortSignal | undefined
  /** Several binaries: steps name the binary. */
  readonly showName: boolean
}

interface CompiledTarget {
  readonly name: string
  readonly ldflags: string
  /** `a,b`, or empty. */
  readonly tags: string
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
  const { spec } = build
  const variant = ['GOARM', 'GOAMD64'].flatMap((key) =>
    target.env[key] === undefined ? [] : [` ${key}=${target.env[key]}`],
  )
  const step = `go build ${build.showName ? `${spec.name} ` : ''}${target.name}${variant.join('')}`
  reporter.emit({ type: 'step', project: project.name, step, status: 'start' })
  const out = join(
    build.outDir,
    buildDirName(spec.name, target.platform),
    executableName(spec.name, target.platform),
  )
  const env: Record<string, string | undefined> = {
    ...context.env,
    ...spec.env,
    ...target.env,
    CGO_ENABLED: '0',
    GOTOOLCHAIN: 'local',
    GOFLAGS: readonlyGoflags(
      [build.goflags, spec.env.GOFLAGS],
      existsSync(join(spec.moduleRoot, 'vendor', 'modules.txt')),
    ),
  }
  await rm(out, { force: true })
  const tags = spec.tags.length === 0 ? [] : ['-tags', spec.tags.join(',')]
  try {
    // -buildvcs=false: go would stamp HEAD's revision and time in, so any commit would change the bytes.
    await run(
      'go',
      ['build', '-trimpath', '-buildvcs=false', ...tags, '-ldflags', build.ldflags, '-o', out, spec.package],
      {
        cwd: spec.moduleRoot,
        env,
        ...(build.signal === undefined ? {} : { signal: build.signal }),
      },
    )
  } catch (error) {
    const shown = ['CGO_ENABLED', 'GOOS', 'GOARCH', 'GOARM', 'GOAMD64', 'GOFLAGS', 'GOTOOLCHAIN'].flatMap(
      (key) => (env[key] === undefined ? [] : [formatCommand(`${key}=${env[key]}`, [])]),
    )
    throw buildFailed(
      error,
      `go build for ${formatPlatform(target.platform)} of ${project.name}${build.showName ? ` (binary ${spec.name})` : ''} failed`,
      `${shown.join(' ')} `,
    )
  }
  await chmod(out, 0o755)
  return { name: spec.name, ldflags: build.ldflags, tags: spec.tags.join(','), target, out, env, step }
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
    extra: {
      toolchain: 'go',
      target: target.name,
      goVersion: dependencies.goVersion,
      ...(target.env.GOARM === undefined ? {} : { goarm: target.env.GOARM }),
      ...(target.env.GOAMD64 === undefined ? {} : { goamd64: target.env.GOAMD64 }),
      // cmd/go leaves -ldflags out of the embedded build info under -trimpath
      ldflags: compiled.ldflags,
      ...(compiled.tags === '' ? {} : { tags: compiled.tags }),
    },
  }
  reporter.emit({ type: 'artifact', artifact })
  reporter.emit({ type: 'step', project: project.name, step: compiled.step, status: 'done' })
  return { name: compiled.name, artifact, target: target.name, dependencies }
}

/**
 * `-s -w -X <pkg>.version=... -X <pkg>.commit=... -X <pkg>.date=...` then `extra` (with
 * `{{ .Version }}`, `{{ .Commit }}`, `{{ .ShortCommit }}`, `{{ .Date }}` replaced), quoting
 * `-X` values Go's flag parser would split. `strip: false` leaves out `-s -w`.
 */
export function goLdflags(
  values: { readonly version: string; readonly commit: string; readonly date: string },
  names: {
    readonly version?: string
    readonly commit?: string
    readonly date?: string
    readonly extra?: readonly string[]
  } = {},
  options: { readonly strip?: boolean; readonly where?: string } = {},
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
  const fields: Record<string, string> = {
    Version: values.version,
    Commit: values.commit,
    ShortCommit: values.commit.slice(0, 7),
    Date: values.date,
  }
  const extra = (names.extra ?? []).map((flag, i) =>
    flag.replaceAll(/\{\{-?\s*([^}]*?)\s*-?\}\}/g, (whole, inner: string) => {
      const field = /^\.([A-Za-z]+)$/.exec(inner)?.[1]
      const value = field === undefined ? undefined : fields[field]
      if (value === undefined) {
        throw new BinaryError(
          'BINARY_PROJECT_INVALID',
          `${options.where ?? 'polyship.binary.ldflags.extra'}[${i}]: unknown template ${whole} in ${JSON.stringify(flag)}`,
          { hint: 'ldflags.extra knows {{ .Version }}, {{ .Commit }}, {{ .ShortCommit }} and {{ .Date }}' },
        )
      }
      return value
    }),
  )
  return [
    ...(options.strip === false ? [] : ['-s', '-w']),
    x(names.version ?? 'main.version', values.version),
    x(names.commit ?? 'main.commit', values.commit),
    x(names.date ?? 'main.date', values.date),
    ...extra,
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
