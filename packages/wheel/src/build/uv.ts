import { mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises'
import { join, relative, resolve, sep } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { digestFile, run, SubprocessError } from '@polyship/core'
import { WheelError } from '../errors.ts'
import type { FrontendContext, FrontendResult, Reproducibility, SkippedTarget } from './build.ts'
import { detectFrontend, type Frontend } from './toolchain.ts'

export interface UvBuildOptions {
  readonly frontend?: Frontend
  readonly checkReproducible: boolean
}

/**
 * Every PEP 517 backend but maturin is driven by `uv build`, not `python -m build`: uv is
 * one static binary pinned like every other tool (no `build` + `pip` + virtualenv to keep
 * in step with the machine's Python), it builds in an isolated environment whose backend
 * wheels it caches between runs, and the same tool later resolves a Python image's
 * dependencies for another platform (`uv pip install --python-platform`).
 *
 * Without `--sdist`/`--wheel` uv builds the sdist from the tree and then the wheel from the
 * unpacked sdist, which proves the sdist is complete and keeps the wheel step (setuptools'
 * `build/`) out of the user's tree. `--no-sources` builds the standards metadata a user
 * installing from an index gets, never `tool.uv.sources` paths; `--force-pep517` sends uv's
 * own backend through PEP 517 like any other. What a backend still writes into the tree
 * (setuptools' `*.egg-info`) is removed afterwards when the build created it.
 */
export async function buildWithUv(
  context: FrontendContext,
  options: UvBuildOptions,
): Promise<FrontendResult> {
  const { project, python, outDir, reporter } = context
  const frontend = options.frontend ?? (await detectFrontend(context.env))
  const config = project.config.wheel ?? {}
  const skipped: SkippedTarget[] = (config.targets ?? ['host'])
    .filter((target) => target !== 'host')
    .map((target) => ({
      target,
      reason: `${python.buildBackend} builds for this machine only; cross-building wheels is supported for maturin projects`,
    }))
  for (const s of skipped)
    reporter.emit({ type: 'skipped', project: project.name, what: `wheel for ${s.target}`, reason: s.reason })
  for (const field of ['compatibility', 'interpreters'] as const) {
    if (config[field] !== undefined)
      reporter.emit({
        type: 'log',
        level: 'warn',
        message: `${project.name}: polyship.wheel.${field} applies to maturin projects only; ${python.buildBackend} ignores it`,
      })
  }

  const env = {
    ...context.env,
    // Interpreters come from this machine; uv never downloads one mid-release.
    UV_PYTHON_DOWNLOADS: context.env.UV_PYTHON_DOWNLOADS ?? 'never',
    // Backends that iterate sets write files in hash order without it.
    PYTHONHASHSEED: '0',
  }
  const args = [
    'build',
    python.dir,
    ...(config.sdist === false ? ['--wheel'] : []),
    '--no-sources',
    '--force-pep517',
    '--no-create-gitignore',
    '--no-progress',
    '--color',
    'never',
  ]
  const build = async (step: string): Promise<{ staging: string; files: string[] }> => {
    reporter.emit({ type: 'step', project: project.name, step, status: 'start' })
    const staging = await mkdtemp(join(outDir, '.uv-'))
    const before = await listTree(python.dir, resolve(outDir))
    try {
      await run(frontend.uv, [...args, '--out-dir', staging], { cwd: python.dir, env })
    } catch (error) {
      await rm(staging, { recursive: true, force: true })
      if (!(error instanceof SubprocessError)) throw error
      throw new WheelError(
        'WHEEL_BUILD_FAILED',
        `${project.name}: ${python.buildBackend} could not build ${python.pyprojectPath}: ${error.message}`,
        {
          hint: `read the backend's output above; \`uv build\` in ${python.dir} reproduces it`,
          cause: error,
        },
      )
    } finally {
      await removeLeftovers(python.dir, before, resolve(outDir), project.name, reporter)
    }
    reporter.emit({ type: 'step', project: project.name, step, status: 'done' })
    const files = (await readdir(staging))
      .filter((f) => f.endsWith('.whl') || f.endsWith('.tar.gz'))
      .sort()
      .map((f) => join(staging, f))
    return { staging, files }
  }

  const first = await build(config.sdist === false ? 'wheel' : 'wheel and sdist')
  let reproducibility: Reproducibility = {
    status: 'unchecked',
    reason: 'polyship.wheel was built once (checkReproducible: false)',
  }
  if (options.checkReproducible) {
    const second = await build('rebuild to compare')
    reproducibility = await compareBuilds(
      first.files,
      second.files,
      python.backend,
      context.env.SOURCE_DATE_EPOCH,
    )
    await rm(second.staging, { recursive: true, force: true })
    if (reproducibility.status === 'not-reproducible')
      reporter.emit({ type: 'log', level: 'warn', message: `${project.name}: ${reproducibility.reason}` })
  }
  const files: string[] = []
  for (const file of first.files) {
    const target = join(outDir, file.slice(file.lastIndexOf(sep) + 1))
    await rename(file, target)
    files.push(target)
  }
  await rm(first.staging, { recursive: true, force: true })
  // wheels before the sdist, as maturin's path returns them
  files.sort((a, b) => Number(a.endsWith('.tar.gz')) - Number(b.endsWith('.tar.gz')) || a.localeCompare(b))
  return { files, skipped, toolchains: { uv: frontend.uvVersion }, reproducibility }
}

/** Why a backend is known to differ run to run, when polyship has seen it. */
const KNOWN_CAUSES: Readonly<Record<string, string>> = {
  setuptools:
    "setuptools writes the sdist's gzip header and its generated files (PKG-INFO, setup.cfg, *.egg-info) with the build time, ignoring SOURCE_DATE_EPOCH; its wheels honour it",
}

async function compareBuilds(
  first: readonly string[],
  second: readonly string[],
  backend: string,
  epoch: string | undefined,
): Promise<Reproducibility> {
  const name = (file: string) => file.slice(file.lastIndexOf(sep) + 1)
  const seconds = new Map(second.map((f) => [name(f), f]))
  const differing: { filename: string; first: string; second: string }[] = []
  const headerOnly: string[] = []
  for (const file of first) {
    const again = seconds.get(name(file))
    const a = (await digestFile(file)).digest
    const b = again === undefined ? '(not produced)' : (await digestFile(again)).digest
    if (a === b) continue
    differing.push({ filename: name(file), first: a, second: b })
    if (again !== undefined && file.endsWith('.tar.gz') && (await sameTar(file, again)))
      headerOnly.push(name(file))
  }
  if (differing.length === 0) return { status: 'reproducible', files: first.map(name) }
  const causes = [
    ...(headerOnly.length > 0
      ? [
          `in ${headerOnly.join(', ')} only the gzip header differs: ${backend} stamps it with the build time; the tar inside is identical`,
        ]
      : []),
    ...(KNOWN_CAUSES[backend] === undefined || headerOnly.length === differing.length
      ? []
      : [KNOWN_CAUSES[backend]]),
  ]
  return {
    status: 'not-reproducible',
    files: differing,
    reason: `${backend} built ${differing.map((d) => d.filename).join(', ')} with different bytes from the same source and SOURCE_DATE_EPOCH=${epoch}${causes.length === 0 ? '' : ` (${causes.join('; ')})`}`,
  }
}

/** Whether two .tar.gz files hold the same tar (sdists are small; read whole). */
async function sameTar(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([readFile(a), readFile(b)])
  return gunzipSync(x).equals(gunzipSync(y))
}

/** Names polyship never looks into while watching the tree. */
const UNWATCHED = new Set(['.git', 'node_modules', '.venv', 'venv', '.nx', 'dist', 'target'])
const WATCH_DEPTH = 4

/**
 * What a backend may leave in the source tree and polyship removes when the build created
 * it: setuptools' `*.egg-info` (anywhere: src or flat layout) and a top-level `build/`.
 * Nothing else is touched, so a build running beside others in the same workspace never
 * removes their files.
 */
function isBackendLeftover(rel: string): boolean {
  return rel.split('/').at(-1)!.endsWith('.egg-info') || rel === 'build'
}

/**
 * Relative paths of the tree's entries, a few levels deep: what was there before the
 * build. Nested projects (a directory with its own package.json) are not entered.
 */
async function listTree(dir: string, outDir: string, depth = WATCH_DEPTH, prefix = ''): Promise<Set<string>> {
  const out = new Set<string>()
  const entries = await readdir(join(dir, prefix), { withFileTypes: true }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return []
      throw error
    },
  )
  if (prefix !== '' && entries.some((e) => e.name === 'package.json')) return out
  for (const entry of entries) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`
    if (UNWATCHED.has(entry.name) || resolve(dir, rel) === outDir) continue
    out.add(rel)
    if (entry.isDirectory() && depth > 1)
      for (const inner of await listTree(dir, outDir, depth - 1, rel)) out.add(inner)
  }
  return out
}

/** Removes the backend leftovers (isBackendLeftover) the build created in the user's tree. */
async function removeLeftovers(
  dir: string,
  before: ReadonlySet<string>,
  outDir: string,
  project: string,
  reporter: FrontendContext['reporter'],
): Promise<void> {
  const after = await listTree(dir, outDir)
  const created = [...after].filter((rel) => !before.has(rel) && isBackendLeftover(rel)).sort()
  for (const rel of created) {
    if (relative(dir, resolve(dir, rel)).startsWith('..')) continue
    await rm(join(dir, rel), { recursive: true, force: true })
  }
  if (created.length > 0)
    reporter.emit({
      type: 'log',
      level: 'debug',
      message: `${project}: removed what the build backend left in the source tree: ${created.join(', ')}`,
    })
}
