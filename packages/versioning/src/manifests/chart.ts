import { join, resolve } from 'node:path'
import { parseYaml } from '../edit/yaml-edit.ts'
import { VersioningError } from '../errors.ts'
import { followRequirement, isSemver } from '../semver.ts'
import { isTable, type SyncContext, type SyncProject } from './context.ts'

/** Absolute directory of a project's chart (`polyship.chart.path`, default the project). */
export function chartDirOf(project: SyncProject): string {
  return resolve(project.root, project.config.chart?.path ?? '.')
}

/**
 * Versions Chart.yaml: `version`, `appVersion` from the project named by
 * `polyship.chart.appVersionFrom` (by default the project itself when it also ships an
 * image: the chart deploys it), and the version of every `file://` dependency on a
 * sibling chart released in the same run.
 */
export async function syncChart(context: SyncContext, project: SyncProject): Promise<void> {
  const dir = chartDirOf(project)
  const file = join(dir, 'Chart.yaml')
  const shown = context.edits.show(file)
  const text = await context.edits.read(file)
  const chart = project.config.chart
  if (text === undefined) {
    if (chart === undefined) return
    throw new VersioningError(
      'VERSION_MANIFEST_INVALID',
      `${shown} does not exist, but ${project.name} ships a chart`,
      {
        hint: 'set polyship.chart.path to the chart directory',
      },
    )
  }
  const doc = parseYaml(text, shown)
  const fields = isTable(doc) ? doc : {}
  if (!isSemver(fields.version)) {
    throw new VersioningError(
      'VERSION_MANIFEST_INVALID',
      `${shown}: version ${JSON.stringify(fields.version)} is not SemVer`,
      {
        hint: `Helm requires SemVer chart versions: set version: ${project.oldVersion}`,
      },
    )
  }
  context.edits.set(file, 'yaml', ['version'], project.newVersion, project.name)

  const implicit = chart?.appVersionFrom === undefined
  const from = chart?.appVersionFrom ?? (project.config.image === undefined ? undefined : project.name)
  if (from !== undefined && !(implicit && fields.appVersion === undefined)) {
    const appVersion = context.versionOf(from)
    if (appVersion === undefined) {
      throw new VersioningError(
        'VERSION_UNKNOWN_PROJECT',
        `${project.name}: polyship.chart.appVersionFrom names "${from}", which is not a project`,
        {
          hint: 'name the image project the chart deploys (its package.json name)',
        },
      )
    }
    if (fields.appVersion === undefined) {
      throw new VersioningError(
        'VERSION_MANIFEST_INVALID',
        `${shown} has no appVersion, but polyship.chart.appVersionFrom is set`,
        {
          hint: `add appVersion: "${appVersion}" to ${shown}`,
        },
      )
    }
    context.edits.set(file, 'yaml', ['appVersion'], appVersion, project.name)
  }

  const siblings = new Map(context.projects.map((p) => [chartDirOf(p), p]))
  const dependencies = Array.isArray(fields.dependencies) ? fields.dependencies : []
  dependencies.forEach((dependency, i) => {
    if (!isTable(dependency) || typeof dependency.repository !== 'string') return
    if (!dependency.repository.startsWith('file://') || typeof dependency.version !== 'string') return
    const sibling = siblings.get(resolve(dir, dependency.repository.slice('file://'.length)))
    const requirement = sibling && followRequirement(dependency.version, sibling.newVersion, 'helm')
    if (requirement !== undefined && requirement !== dependency.version) {
      context.edits.set(file, 'yaml', ['dependencies', i, 'version'], requirement, project.name)
    }
  })
}
