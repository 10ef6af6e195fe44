import { formatPlatform, isPolyshipError, type Platform, type Project } from '@polyship/core'
import { resolveGoBinaries } from './go/binaries.ts'
import { goPlatforms, goTarget } from './go/target.ts'
import { checkGoToolchain } from './go/toolchain.ts'
import { type BinaryBuildOptions, buildContext } from './options.ts'
import { rustTargetPlans, selectBins } from './rust/build.ts'
import { readCargoProject } from './rust/cargo-metadata.ts'
import { readRustToolchain } from './rust/toolchain.ts'

/** One platform a release would build, or skip on this machine and why. */
export interface PlannedTarget {
  readonly platform: Platform
  /** `linux/amd64` (Go, with ` GOAMD64=v3` / ` GOARM=7` when set) or the Rust triple. */
  readonly target: string
  /** Why a release on this machine skips it (no standard library, no cross linker, no zig...). */
  readonly skipped?: string
}

/** What a release of a project's binaries would do here, found without compiling. */
export interface BinaryPlan {
  /** Executable names (without `.exe`) each archive holds. */
  readonly binaries: readonly string[]
  /** In build order, variants (goamd64, goarm) expanded. */
  readonly targets: readonly PlannedTarget[]
  /** Nothing can be built here (the toolchain is missing or too old): the release would fail. */
  readonly blocked?: string
}

/**
 * Plans a project's binaries the way a release would build them: Go binaries and their
 * main packages resolved (a bad `main` is refused here, as at build time), platforms
 * expanded by goamd64/goarm; Rust bin targets selected and each platform planned against
 * the installed standard libraries, linkers and cargo-zigbuild. Nothing is compiled.
 */
export async function planBinaries(
  project: Project,
  options: Pick<BinaryBuildOptions, 'env' | 'platforms' | 'reporter'> & {
    readonly zigbuild?: string | false
  } = {},
): Promise<BinaryPlan> {
  const toolchain = project.config.binary?.toolchain ?? 'go'
  const context = buildContext(project, toolchain, { outDir: '', commit: '', date: '', ...options })
  const blocked = (error: unknown): string => {
    if (isPolyshipError(error) && error.code === 'BINARY_TOOLCHAIN_MISSING')
      return `${error.message}${error.hint === undefined ? '' : ` (${error.hint})`}`
    throw error
  }
  if (toolchain === 'go') {
    const specs = await resolveGoBinaries(project, context.config)
    const binaries = specs.map((s) => s.name)
    const platforms = goPlatforms(context.config, context.platforms)
    let tool: Awaited<ReturnType<typeof checkGoToolchain>>
    try {
      const goMods = [...new Map(specs.map((s) => [s.goMod.file, s.goMod])).values()]
      ;[tool] = (await Promise.all(
        goMods.map((m) => checkGoToolchain(m, context.env, context.reporter)),
      )) as [typeof tool]
    } catch (error) {
      const reason = blocked(error)
      const targets = platforms.map((p) => ({ platform: p.platform, target: formatPlatform(p.platform) }))
      return { binaries, targets, blocked: reason }
    }
    const targets = platforms.map(({ platform, goamd64 }, i) => {
      const target = goTarget(platform, tool.targets, `${project.manifestPath}: platform ${i + 1}`, goamd64)
      const variant = ['GOARM', 'GOAMD64'].flatMap((k) =>
        target.env[k] === undefined ? [] : [` ${k}=${target.env[k]}`],
      )
      return { platform, target: `${target.name}${variant.join('')}` }
    })
    return { binaries, targets }
  }
  const env = { ...context.env, ...context.config.env }
  let rust: Awaited<ReturnType<typeof readRustToolchain>>
  try {
    rust = await readRustToolchain(project.root, env)
  } catch (error) {
    const reason = blocked(error)
    const targets = context.platforms.map((platform) => ({ platform, target: formatPlatform(platform) }))
    return { binaries: [], targets, blocked: reason }
  }
  const [cargo, { plans }] = await Promise.all([
    readCargoProject(project.root, env),
    rustTargetPlans(context, rust, options.zigbuild),
  ])
  const binaries = selectBins(project, context.config, cargo).flatMap((s) => s.bins)
  return {
    binaries,
    targets: plans.map((plan) =>
      plan.status === 'skipped'
        ? { platform: plan.platform, target: plan.triple, skipped: plan.reason }
        : { platform: plan.platform, target: plan.triple },
    ),
  }
}
