import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { VersioningError } from '../errors.ts'
import { isPythonVersion, pythonVersionOf } from '../semver.ts'
import { isTable, readTomlFile, type SyncContext, type SyncProject } from './context.ts'

/**
 * Writes `project.version` of the project's pyproject.toml in its PEP 440 spelling. A
 * dynamic version is left alone; when maturin builds the project, the Cargo manifest it
 * reads the version from is returned so that the caller versions it instead.
 */
export async function syncPyproject(context: SyncContext, project: SyncProject): Promise<string[]> {
  const dir = resolve(project.root, project.config.wheel?.path ?? '.')
  const file = join(dir, 'pyproject.toml')
  const doc = await readTomlFile(context, file)
  if (doc === undefined) return []
  const shown = context.edits.show(file)
  const table = isTable(doc.project) ? doc.project : {}
  const dynamic = Array.isArray(table.dynamic) && table.dynamic.includes('version')
  if (table.version !== undefined) {
    if (!isPythonVersion(table.version)) {
      throw new VersioningError(
        'VERSION_MANIFEST_INVALID',
        `${shown}: project.version ${JSON.stringify(table.version)} is not a SemVer or PEP 440 release version`,
        {
          hint: `set project.version = "${pythonVersionOf(project.oldVersion, shown)}", or list "version" in project.dynamic`,
        },
      )
    }
    context.edits.set(
      file,
      'toml',
      ['project', 'version'],
      pythonVersionOf(project.newVersion, shown),
      project.name,
    )
    return []
  }
  if (!dynamic) return []
  const tool = isTable(doc.tool) && isTable(doc.tool.maturin) ? doc.tool.maturin : undefined
  const backend = isTable(doc['build-system']) ? doc['build-system']['build-backend'] : undefined
  if (tool === undefined && backend !== 'maturin') return []
  const manifestPath = typeof tool?.['manifest-path'] === 'string' ? tool['manifest-path'] : 'Cargo.toml'
  const manifest = resolve(dir, manifestPath)
  if (!existsSync(manifest)) {
    throw new VersioningError(
      'VERSION_MANIFEST_INVALID',
      `${shown}: the version is dynamic and maturin reads it from ${context.edits.show(manifest)}, which does not exist`,
      { hint: 'set tool.maturin.manifest-path to the crate maturin builds, or set project.version' },
    )
  }
  return [manifest]
}
