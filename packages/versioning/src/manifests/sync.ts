import { existsSync } from 'node:fs'
import { join, relative } from 'node:path'
import type { Packages } from '@manypkg/get-packages'
import { normalizePythonName, type ProjectConfig, parseProjectManifest, type Reporter } from '@polyship/core'
import type { PendingRelease } from '../plan/read-plan.ts'
import { pythonVersionOf } from '../semver.ts'
import { type CargoUnit, type CrateChange, syncCargoManifest, syncPathDependencies } from './cargo.ts'
import { syncCargoLock } from './cargo-lock.ts'
import { syncChart } from './chart.ts'
import type { SyncContext, SyncProject } from './context.ts'
import { isTable, readTomlFile } from './context.ts'
import { type ManifestChange, ManifestEdits } from './edit-set.ts'
import { syncGo } from './go.ts'
import { type PythonSibling, pyprojectPathOf, syncPyproject, syncPythonPins } from './pyproject.ts'

export interface ManifestSyncInput {
  readonly root: string
  readonly packages: Packages
  readonly releases: readonly PendingRelease[]
  readonly reporter: Reporter
}

/**
 * Computes the new text of every native manifest the releases touch (Cargo.toml and
 * Cargo.lock, pyproject.toml, Chart.yaml, Go version files) without writing anything,
 * so that one bad manifest stops the run before any file changes.
 */
export async function planManifestChanges(input: ManifestSyncInput): Promise<ManifestChange[]> {
  const byName = new Map(input.packages.packages.map((p) => [p.packageJson.name, p]))
  const projects = input.releases.map((release): SyncProject => {
    const pkg = byName.get(release.name)!
    return {
      name: release.name,
      root: pkg.dir,
      oldVersion: release.oldVersion,
      newVersion: release.newVersion,
      config: configOf(pkg.packageJson, join(pkg.dir, 'package.json'), input.root),
    }
  })
  const released = new Map(projects.map((p) => [p.name, p.newVersion]))
  const context: SyncContext = {
    root: input.root,
    edits: new ManifestEdits(input.root),
    projects,
    reporter: input.reporter,
    versionOf: (name) => released.get(name) ?? byName.get(name)?.packageJson.version,
  }

  const crates: CrateChange[] = []
  const units: CargoUnit[] = []
  for (const project of projects) {
    const manifests = new Set(await syncPyproject(context, project))
    if (existsSync(join(project.root, 'Cargo.toml'))) manifests.add(join(project.root, 'Cargo.toml'))
    for (const manifest of manifests) {
      const synced = await syncCargoManifest(context, project, manifest)
      crates.push(...synced.crates)
      units.push(synced.unit)
    }
    await syncChart(context, project)
    await syncGo(context, project)
  }
  await syncPythonPins(context, await pythonSiblings(input, context, projects))
  await syncPathDependencies(context, units, crates)
  const lockRoots = new Map(units.map((unit) => [unit.root, unit]))
  for (const unit of lockRoots.values()) await syncCargoLock(context, unit, crates)
  warnAboutStaleCharts(input, released)
  return context.edits.changes()
}

/** Every workspace project with a pyproject.toml naming a distribution, with its version after this run. */
async function pythonSiblings(
  input: ManifestSyncInput,
  context: SyncContext,
  released: readonly SyncProject[],
): Promise<PythonSibling[]> {
  const out: PythonSibling[] = []
  for (const pkg of input.packages.packages) {
    const name = pkg.packageJson.name
    const config = configOf(pkg.packageJson, join(pkg.dir, 'package.json'), input.root)
    const pyproject = pyprojectPathOf(pkg.dir, config.wheel?.path)
    const doc = await readTomlFile(context, pyproject)
    const distribution = doc !== undefined && isTable(doc.project) ? doc.project.name : undefined
    if (typeof distribution !== 'string') continue
    const release = released.find((p) => p.name === name)
    out.push({
      project: name,
      pyproject,
      distribution: normalizePythonName(distribution),
      released:
        release === undefined
          ? undefined
          : pythonVersionOf(release.newVersion, context.edits.show(pyproject)),
    })
  }
  return out
}

function configOf(manifest: object, file: string, root: string): ProjectConfig {
  if (!('polyship' in manifest)) return {}
  return parseProjectManifest(manifest, relative(root, file)).config
}

/** A chart whose appVersion follows a released project must be released too, or it goes stale. */
function warnAboutStaleCharts(input: ManifestSyncInput, released: ReadonlyMap<string, string>): void {
  for (const pkg of input.packages.packages) {
    const from = (pkg.packageJson as { polyship?: { chart?: { appVersionFrom?: unknown } } }).polyship?.chart
      ?.appVersionFrom
    if (typeof from === 'string' && released.has(from) && !released.has(pkg.packageJson.name)) {
      input.reporter.emit({
        type: 'log',
        level: 'warn',
        message: `${pkg.packageJson.name} takes its appVersion from ${from}, which is released, but it is not: add "${from}": "workspace:*" to its package.json dependencies`,
      })
    }
  }
}
