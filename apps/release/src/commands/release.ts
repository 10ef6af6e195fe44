import type { CliContext } from '../context.ts'
import { CliError } from '../errors.ts'
import type { Finding } from '../release/reconcile.ts'
import { renderTable } from '../table.ts'

export const releaseHelp = `Usage: polyship release [options]

Builds, packages, signs and publishes every releasable project: binaries and archives,
wheels, images and charts, each with a signature, CycloneDX and SPDX SBOMs and SLSA provenance.
Every destination is asked what it already holds before anything is published; identical
content is skipped, different content under a released name stops the run. Re-running is
always safe; a crashed run is resumed by running it again.

Options:
  --dry-run            build, package and ask the destinations; publish nothing
  --snapshot           release a pre-release version (<version>-snapshot.<sha>); publish nothing
  --only NAMES         only these projects (comma-separated)
  --exclude NAMES      leave out these projects (comma-separated, repeatable); a chart
                       whose images are left out is wired to the images already released
  --skip FORMATS       leave out formats: binary, image, wheel, chart, npm, mcp (comma-separated);
                       --skip scan leaves out the vulnerability gate (the record says so)
  --registry REPO      publish images and charts to this registry repository prefix
                       (e.g. ghcr.io/acme; charts go under REPO/charts)
  --github-release OWNER/REPO
                       attach archives and checksums to GitHub releases of OWNER/REPO
                       (instead of destinations.files; needs GITHUB_TOKEN)
  --tag TAG            an extra image tag (repeatable)
  --replace            replace GitHub release assets whose bytes differ
  --no-cache           build with empty Go and Cargo caches
  --no-nx              compile in-process, not as Nx polyship-build tasks
  --split              build one shard into dist/shards/<id> and stop (CI matrix jobs)
  --shard I/N          with --split: this job's share of the projects
  --platform OS/ARCH   with --split: build only this platform's binaries (repeatable)
  --merge DIR          assemble, attest and publish the shards under DIR (repeatable)
  --concurrency N      compile up to N projects and platforms at once (default:
                       polyship.json concurrency, else the number of cores)
  --json               print the outcome as JSON
  --debug              print every step of every tool
  --cwd DIR            the workspace (default: current directory)

Destinations come from polyship.json; with none, everything goes under dist/: images and
charts to an OCI layout (dist/oci), wheels to a simple index (dist/pypi), files to
dist/assets, signed with a key generated on first use.
`

export const RELEASE_OPTIONS = {
  'dry-run': { type: 'boolean', default: false },
  snapshot: { type: 'boolean', default: false },
  only: { type: 'string', multiple: true },
  exclude: { type: 'string', multiple: true },
  skip: { type: 'string', multiple: true },
  registry: { type: 'string' },
  'github-release': { type: 'string' },
  tag: { type: 'string', multiple: true },
  replace: { type: 'boolean', default: false },
  'no-cache': { type: 'boolean', default: false },
  'no-nx': { type: 'boolean', default: false },
  split: { type: 'boolean', default: false },
  shard: { type: 'string' },
  platform: { type: 'string', multiple: true },
  merge: { type: 'string', multiple: true },
  concurrency: { type: 'string' },
} as const

export interface ReleaseFlags {
  readonly 'dry-run'?: boolean
  readonly snapshot?: boolean
  readonly only?: string[]
  readonly exclude?: string[]
  readonly skip?: string[]
  readonly registry?: string
  readonly 'github-release'?: string
  readonly tag?: string[]
  readonly replace?: boolean
  readonly 'no-cache'?: boolean
  readonly 'no-nx'?: boolean
  readonly split?: boolean
  readonly shard?: string
  readonly platform?: string[]
  readonly merge?: string[]
  readonly concurrency?: string
}

/** `--concurrency N`: a whole number from 1, else CLI_USAGE. */
export function parseConcurrency(value: string | undefined): { concurrency?: number } {
  if (value === undefined) return {}
  if (!/^[1-9]\d*$/.test(value.trim()))
    throw new CliError('CLI_USAGE', `--concurrency ${value}: not a whole number of compiles`, {
      hint: 'e.g. --concurrency 4 (or 1 to build one project at a time)',
    })
  return { concurrency: Number(value) }
}

const list = (values: readonly string[] | undefined) =>
  values
    ?.flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean)

export async function releaseCommand(
  context: CliContext,
  flags: ReleaseFlags,
  options: { readonly cwd: string; readonly json: boolean; readonly debug: boolean },
): Promise<number> {
  const { checkOptionUrl, parsePlatform } = await import('@polyship/core')
  const { parseFormats, parseShard } = await import('../release/selection.ts')
  checkOptionUrl('--registry', flags.registry)
  if ((flags.shard !== undefined || flags.platform !== undefined) && !flags.split) {
    throw new CliError('CLI_USAGE', '--shard and --platform go with --split', {
      hint: 'e.g. polyship release --split --shard 1/3',
    })
  }
  if (flags.split && flags.merge !== undefined)
    throw new CliError('CLI_USAGE', '--split and --merge are separate jobs', {
      hint: 'run the split jobs first, then one --merge job',
    })
  const skipScan = list(flags.skip)?.includes('scan') ?? false
  const skips = list(flags.skip)?.filter((s) => s !== 'scan') ?? []
  const { runRelease } = await import('../release/run.ts')
  const { renderSteps, reporterFor } = await import('../render.ts')
  const { resolve } = await import('node:path')
  const reporter = reporterFor(context, options)
  const summary = await runRelease(
    {
      cwd: options.cwd,
      dryRun: flags['dry-run'] ?? false,
      snapshot: flags.snapshot ?? false,
      replace: flags.replace ?? false,
      noCache: flags['no-cache'] ?? false,
      ...(flags['no-nx'] ? { nx: false } : {}),
      split: flags.split ?? false,
      ...parseConcurrency(flags.concurrency),
      ...(flags.only ? { only: list(flags.only)! } : {}),
      ...(flags.exclude ? { exclude: list(flags.exclude)! } : {}),
      ...(skips.length > 0 ? { skip: parseFormats(skips.join(',')) } : {}),
      ...(skipScan ? { skipScan } : {}),
      ...(flags.registry ? { registry: flags.registry } : {}),
      ...(flags['github-release'] ? { githubRelease: flags['github-release'] } : {}),
      ...(flags.tag ? { tags: list(flags.tag)! } : {}),
      ...(flags.shard ? { shard: parseShard(flags.shard) } : {}),
      ...(flags.platform
        ? { platforms: list(flags.platform)!.map((p) => parsePlatform(p, '--platform')) }
        : {}),
      ...(flags.merge ? { merge: flags.merge.map((dir) => resolve(options.cwd, dir)) } : {}),
    },
    context.env,
    reporter,
    renderSteps(context, options),
  )
  const { reportRelease } = await import('../github-actions.ts')
  await reportRelease(summary, context.env)
  if (options.json) {
    context.stdout.write(
      `${JSON.stringify(summary, (key, value) => (key === 'dependencies' ? undefined : value), 2)}\n`,
    )
    return 0
  }
  switch (summary.status) {
    case 'split':
      context.stdout.write(`built ${summary.units.length} units into ${summary.shard}\n`)
      return 0
    case 'up-to-date':
      context.stdout.write(
        `nothing to release: ${summary.released.map((r) => `${r.tag} (released at ${r.commit.slice(0, 12)})`).join(', ')}\n`,
      )
      return 0
    case 'planned':
    case 'released': {
      const rows = summary.findings.map((f) => [
        f.project,
        f.kind,
        f.artifact,
        outcomeText(f.state.status, summary.status),
      ])
      context.stdout.write(
        renderTable(
          ['project', 'kind', 'artifact', summary.status === 'planned' ? 'would be' : 'outcome'],
          rows,
        ),
      )
      const counts: Record<string, number> = {}
      for (const f of summary.findings) counts[f.state.status] = (counts[f.state.status] ?? 0) + 1
      const tally = Object.entries(counts)
        .map(([status, n]) => `${n} ${outcomeText(status as Finding['state']['status'], summary.status)}`)
        .join(', ')
      if (summary.status === 'planned') {
        context.stdout.write(
          `\n${summary.snapshot ? 'snapshot' : 'dry run'}: ${tally}; nothing was published\n`,
        )
      } else {
        context.stdout.write(`\n${tally}; record: ${summary.recordPath}\n`)
        if (summary.publicKey)
          context.stdout.write(`signed with the key whose public half is ${summary.publicKey}\n`)
      }
      return 0
    }
  }
}

/** How a finding reads: what a dry run would do, or what the release did (a conflict left is a --replace). */
function outcomeText(status: Finding['state']['status'], run: 'planned' | 'released'): string {
  switch (status) {
    case 'new':
      return run === 'planned' ? 'new' : 'published'
    case 'unchanged':
      return 'unchanged'
    case 'conflict':
      return run === 'planned' ? 'replace' : 'replaced'
  }
}

export const buildHelp = `Usage: polyship build [--only NAMES] [--platform OS/ARCH]... [--concurrency N] [--cwd DIR]

Compiles binaries (and their archives) and wheels into dist/build/<project>, recording
what was produced in build.json. This is what the Nx target polyship-build runs, so Nx
can cache it; \`polyship release\` assembles images and charts from the same units.
`

export const BUILD_OPTIONS = {
  only: { type: 'string', multiple: true },
  platform: { type: 'string', multiple: true },
  concurrency: { type: 'string' },
} as const

export async function buildCommand(
  context: CliContext,
  flags: { readonly only?: string[]; readonly platform?: string[]; readonly concurrency?: string },
  options: { readonly cwd: string; readonly json: boolean; readonly debug: boolean },
): Promise<number> {
  const { loadWorkspace, parsePlatform } = await import('@polyship/core')
  const { selectProjects } = await import('../release/selection.ts')
  const { createContext } = await import('../release/context.ts')
  const { BUILD_CONCURRENCY_ENV, buildConcurrency, buildUnits } = await import('../release/build-all.ts')
  const { renderSteps, reporterFor } = await import('../render.ts')
  const workspace = await loadWorkspace(options.cwd)
  const projects = selectProjects(workspace.projects, flags.only ? { only: list(flags.only)! } : {})
  const platforms = list(flags.platform)?.map((p) => parsePlatform(p, '--platform'))
  // a release running its compiles as Nx tasks gives each task its share of the cores
  const { concurrency } = parseConcurrency(flags.concurrency ?? context.env[BUILD_CONCURRENCY_ENV])
  const release = await createContext(
    workspace,
    // stamps and source trees of the selection and what it is made from only: a task's cost is its project's, not the workspace's
    { ...(platforms ? { platforms } : {}), projects },
    context.env,
    reporterFor(context, options),
  )
  const { assertNoOtherRelease, lockFile } = await import('../release/lock.ts')
  // Not the release's lock: builds of different projects (Nx's parallel tasks) run side by
  // side, each unit under its own lock; only a running release (not ours) refuses a build.
  await assertNoOtherRelease(lockFile(release.outDir), context.env)
  const units = await buildUnits(projects, release, renderSteps(context, options), {
    concurrency: buildConcurrency(workspace.config, concurrency),
    title: (p) => `build ${p.name}`,
  })
  const built = units.map((u) => u.dir)
  context.stdout.write(
    options.json ? `${JSON.stringify({ units: built }, null, 2)}\n` : built.map((dir) => `${dir}\n`).join(''),
  )
  return 0
}

export const packageHelp = `Usage: polyship package [--only NAMES] [--concurrency N] [--cwd DIR]

Compiles (reusing this commit's build units) and assembles each project's archives,
checksums, wheels, images and charts into dist/package/<project>, images as OCI layouts.
Nothing is signed or published and no credentials are needed: this is what the Nx target
polyship-package runs, so CI can package exactly what a change affects.
`

export const PACKAGE_OPTIONS = {
  only: { type: 'string', multiple: true },
  concurrency: { type: 'string' },
} as const

export async function packageCommand(
  context: CliContext,
  flags: { readonly only?: string[]; readonly concurrency?: string },
  options: { readonly cwd: string; readonly json: boolean; readonly debug: boolean },
): Promise<number> {
  const { packageProjects } = await import('../release/package.ts')
  const { renderSteps, reporterFor } = await import('../render.ts')
  const only = list(flags.only)
  const dirs = await packageProjects(
    { cwd: options.cwd, ...(only ? { only } : {}), ...parseConcurrency(flags.concurrency) },
    context.env,
    reporterFor(context, options),
    renderSteps(context, options),
  )
  context.stdout.write(
    options.json
      ? `${JSON.stringify({ packages: dirs }, null, 2)}\n`
      : dirs.map((dir) => `${dir}\n`).join(''),
  )
  return 0
}
