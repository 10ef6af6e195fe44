import { parseProjectManifest } from '@polyship/core'
import { isSemver } from '@polyship/versioning'
import { InitError } from './errors.ts'
import { addJsonMember, formatJson } from './json-edit.ts'
import { parsing, table } from './manifest-error.ts'
import { parsePackageJson } from './package-json.ts'
import type { DetectedProject } from './project.ts'

/** New text of a file and what changed in it; `text === original` means nothing did. */
export interface FileEdit {
  readonly text: string
  readonly change: string
}

/**
 * The package.json a detected project needs. A new one is private, named and versioned
 * after the native manifest, with the detected `polyship` field. An existing one only
 * gains what is missing (the polyship field, and name or version if absent); the result
 * is checked with the validator `polyship plan` uses.
 */
export function projectManifest(
  project: DetectedProject,
  original: string | undefined,
  file: string,
): FileEdit {
  if (project.config === undefined || project.kind === 'configured') {
    return {
      text: original ?? '',
      change: project.kind === 'npm' ? 'npm package: unchanged' : 'already configured',
    }
  }
  if (original === undefined) {
    const manifest = {
      name: project.name,
      version: project.version,
      private: true,
      ...(project.description === undefined ? {} : { description: project.description }),
      ...(project.license === undefined ? {} : { license: project.license }),
      ...(project.dependsOn === undefined ? {} : { dependencies: workspaceDependencies(project.dependsOn) }),
      polyship: project.config,
    }
    parsing(file, () => parseProjectManifest(manifest, file))
    return { text: `${formatJson(manifest)}\n`, change: `new ${project.kind} project` }
  }
  const json = parsePackageJson(original, file)
  if (json.polyship !== undefined) return { text: original, change: 'already configured' }
  let text = original
  const added: string[] = []
  for (const [key, value] of [
    ['name', project.name],
    ['version', project.version],
  ] as const) {
    if (json[key] === undefined) {
      text = addJsonMember(text, file, [], key, value)
      added.push(key)
    }
  }
  if (json.version !== undefined && !isSemver(json.version)) {
    throw new InitError(
      'INIT_WOULD_OVERWRITE',
      `${file}: version ${JSON.stringify(json.version)} is not SemVer, and init would have to replace it to make ${project.dir} releasable`,
      {
        hint: `set "version" to a SemVer version (${project.manifest} says ${project.version}), then run polyship init again`,
      },
    )
  }
  const missing = (project.dependsOn ?? []).filter((name) => table(json.dependencies)[name] === undefined)
  if (missing.length > 0 && json.dependencies === undefined) {
    text = addJsonMember(text, file, [], 'dependencies', workspaceDependencies(missing))
  } else {
    for (const name of missing) text = addJsonMember(text, file, ['dependencies'], name, 'workspace:*')
  }
  if (missing.length > 0) added.push(`dependencies ${missing.join(', ')}`)
  text = addJsonMember(text, file, [], 'polyship', project.config)
  added.push('polyship')
  const after = JSON.parse(text) as unknown
  try {
    parseProjectManifest(after, file)
  } catch (cause) {
    throw new InitError(
      'INIT_WOULD_OVERWRITE',
      `${file}: adding the polyship field is not enough to make it a releasable project: ${(cause as Error).message}`,
      {
        hint: 'fix the field named above (init does not change fields you wrote), then run polyship init again',
        cause,
      },
    )
  }
  return { text, change: `add ${added.join(', ')}` }
}

/** `{ name: "workspace:*" }` for each project a chart deploys. */
function workspaceDependencies(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, 'workspace:*']))
}
