import { join } from 'node:path'
import type { CargoUnit, CrateChange } from './cargo.ts'
import { isTable, readTomlFile, type SyncContext } from './context.ts'

/**
 * Rewrites the `version` of the crates that changed in a unit's Cargo.lock, and the
 * `"name version"` references to them, so that `cargo metadata --locked` still passes.
 * Only path crates (entries without `source`) are touched: registry crates that share a
 * name keep their versions. Precise edits rather than `cargo update --workspace`: no
 * registry index is needed, nothing else in the lock can move, and it takes milliseconds
 * (bench/versioning-cargo-lock.ts measures both).
 */
export async function syncCargoLock(
  context: SyncContext,
  unit: CargoUnit,
  crates: readonly CrateChange[],
): Promise<void> {
  const file = join(unit.root, 'Cargo.lock')
  const doc = await readTomlFile(context, file)
  const entries = Array.isArray(doc?.package) ? (doc.package as unknown[]) : []
  const renamed = new Map<string, { to: string; project: string }>()
  entries.forEach((entry, i) => {
    if (!isTable(entry) || entry.source !== undefined || typeof entry.version !== 'string') return
    const change = crates.find((c) => c.name === entry.name)
    if (change === undefined || entry.version === change.newVersion) return
    context.edits.set(file, 'toml', ['package', i, 'version'], change.newVersion, change.project)
    renamed.set(`${change.name} ${entry.version}`, {
      to: `${change.name} ${change.newVersion}`,
      project: change.project,
    })
  })
  // Cargo spells a dependency "name version" only when the lock holds several versions of that name.
  entries.forEach((entry, i) => {
    const dependencies = isTable(entry) && Array.isArray(entry.dependencies) ? entry.dependencies : []
    dependencies.forEach((dependency, j) => {
      const rename = typeof dependency === 'string' ? renamed.get(dependency) : undefined
      if (rename !== undefined) {
        context.edits.set(file, 'toml', ['package', i, 'dependencies', j], rename.to, rename.project)
      }
    })
  })
}
