import type { TargetConfiguration } from '@nx/devkit'
import { GO_BUILD_ENV, type ProjectConfig } from '@polyship/core'
import { buildInputs, type EnclosingRoots, SOURCES_INPUT, sourceInputs } from './inputs.ts'

type InputDefinition = Exclude<NonNullable<TargetConfiguration['inputs']>[number], string>

export interface PolyshipPluginOptions {
  /** Name of the compile target (binaries, wheels). Default `polyship-build`. */
  readonly buildTargetName?: string
  /** Name of the packaging target (archives, images, charts). Default `polyship-package`. */
  readonly packageTargetName?: string
}

/** One releasable project as the plugin sees it. */
export interface PolyshipProject {
  readonly name: string
  readonly config: ProjectConfig
  /** Names of the workspace projects its package.json depends on. */
  readonly dependencies: readonly string[]
  /** Inputs for the files its Go sources embed (`//go:embed`). */
  readonly embedded?: readonly string[]
  /** The Go module or Cargo workspace above the project that its build reads. */
  readonly roots?: EnclosingRoots
}

/** Where the CLI writes each step's results, relative to the workspace root (from polyship.json `outDir`). */
export function outputDirs(outDir: string, project: string): { build: string; package: string } {
  return {
    build: `{workspaceRoot}/${outDir}/build/${project}`,
    package: `{workspaceRoot}/${outDir}/package/${project}`,
  }
}

/** Variables that change what a build produces: the reproducible timestamp. */
const BUILD_ENV: InputDefinition[] = [{ env: 'SOURCE_DATE_EPOCH' }]

/**
 * What else decides a compiler's output: its version and the flags users set in the
 * environment. A cached binary from another toolchain or other flags is another binary.
 */
function toolchainInputs(config: ProjectConfig): InputDefinition[] {
  const inputs: InputDefinition[] = []
  if (config.binary?.toolchain === 'go') {
    inputs.push(
      // `go env` also sees what `go env -w` stored (GOENV), which no env input does: a
      // `go env -w GOAMD64=v3` changes the binary as much as GOAMD64=v3 in the environment
      { runtime: `go env GOVERSION ${GO_BUILD_ENV.join(' ')}` },
      ...GO_BUILD_ENV.map((env) => ({ env })),
    )
  }
  if (config.binary?.toolchain === 'rust' || config.wheel !== undefined) {
    inputs.push({ runtime: 'rustc --version' }, { env: 'RUSTFLAGS' }, { env: 'CARGO_ENCODED_RUSTFLAGS' })
  }
  // maturin writes the wheel (tags, metadata, zip, embedded SBOM): another maturin, another wheel
  if (config.wheel !== undefined) inputs.push({ runtime: 'maturin --version 2>/dev/null || echo no maturin' })
  return inputs
}

/**
 * The inferred targets of one project and its `polyship-sources` named input.
 * `polyship-build` exists for binaries and wheels; `polyship-package` for every project.
 * A chart's package depends on the packages of the releasable projects it deploys (its
 * image references and digests go into the chart), so their sources are its inputs too.
 */
export function projectTargets(
  project: PolyshipProject,
  releasable: ReadonlySet<string>,
  outDir: string,
  options: PolyshipPluginOptions = {},
): {
  targets: Record<string, TargetConfiguration>
  namedInputs: Record<string, (string | InputDefinition)[]>
} {
  const build = options.buildTargetName ?? 'polyship-build'
  const pack = options.packageTargetName ?? 'polyship-package'
  const { config } = project
  const dirs = outputDirs(outDir, project.name)
  const targets: Record<string, TargetConfiguration> = {}
  const hasBuild = config.binary !== undefined || config.wheel !== undefined
  if (hasBuild) {
    targets[build] = {
      command: `polyship build --only ${project.name}`,
      cache: true,
      inputs: [
        ...buildInputs(config, project.embedded, project.roots),
        ...toolchainInputs(config),
        ...BUILD_ENV,
      ],
      outputs: [dirs.build],
      metadata: {
        technologies: ['polyship'],
        description: 'Compile the binaries and wheels of this project',
      },
    }
  }
  const deployed = deployedProjects(project, releasable)
  targets[pack] = {
    command: `polyship package --only ${project.name}`,
    cache: true,
    dependsOn: [
      ...(hasBuild ? [build] : []),
      ...(deployed.length > 0 ? [{ target: pack, projects: deployed }] : []),
    ],
    inputs: [
      SOURCES_INPUT,
      '{workspaceRoot}/polyship.json',
      ...(deployed.length > 0 ? [{ input: SOURCES_INPUT, projects: deployed }] : []),
      ...BUILD_ENV,
    ],
    outputs: [dirs.package],
    metadata: {
      technologies: ['polyship'],
      description: 'Package archives, images and charts of this project',
    },
  }
  return { targets, namedInputs: { [SOURCES_INPUT]: sourceInputs(config, project.embedded, project.roots) } }
}

/** For a chart: the releasable projects it deploys (chart.images, appVersionFrom, package.json dependencies). */
function deployedProjects(project: PolyshipProject, releasable: ReadonlySet<string>): string[] {
  const chart = project.config.chart
  if (chart === undefined) return []
  const named = [
    ...Object.values(chart.images ?? {}),
    ...(chart.appVersionFrom === undefined ? [] : [chart.appVersionFrom]),
    ...project.dependencies,
  ]
  return [...new Set(named)].filter((name) => name !== project.name && releasable.has(name)).sort()
}
