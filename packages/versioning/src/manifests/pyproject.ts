import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import {
  assertNever,
  locateVersionFile,
  normalizePythonName,
  type PythonVersionSource,
  pythonVersionSource,
  replaceVersionInFile,
  type VersionFileSyntax,
} from '@polyship/core'
import { VersioningError } from '../errors.ts'
import { followPythonRequirement, parsePythonRequirement } from '../python-requirement.ts'
import { isPythonVersion, pythonVersionOf } from '../semver.ts'
import { isTable, readTomlFile, type SyncContext, type SyncProject } from './context.ts'
import type { TextVersionEditor } from './edit-set.ts'

/** The pyproject.toml of a project: `polyship.wheel.path` (default the project directory). */
export function pyprojectPathOf(root: string, wheelPath: string | undefined): string {
  return join(resolve(root, wheelPath ?? '.'), 'pyproject.toml')
}

/**
 * Writes the project's version where its build backend reads it (core's
 * `pythonVersionSource`, the same resolver the wheel build checks against), in its PEP 440
 * spelling, keeping the file's formatting: `project.version`, poetry's
 * `tool.poetry.version`, or the backend's version file (hatch `path`, setuptools `attr`
 * module or `file`, pdm `path`, flit's module). A VCS-derived version is left to the build,
 * which pretends it. When maturin builds the project from a dynamic version, the Cargo
 * manifest it reads is returned so that the caller versions it instead.
 */
export async function syncPyproject(context: SyncContext, project: SyncProject): Promise<string[]> {
  const file = pyprojectPathOf(project.root, project.config.wheel?.path)
  const dir = resolve(file, '..')
  const doc = await readTomlFile(context, file)
  if (doc === undefined) return []
  const shown = context.edits.show(file)
  const source: PythonVersionSource = pythonVersionSource(doc)
  const version = () => pythonVersionOf(project.newVersion, shown)
  switch (source.kind) {
    case 'pyproject': {
      if (!isPythonVersion(source.value)) {
        throw new VersioningError(
          'VERSION_MANIFEST_INVALID',
          `${shown}: ${source.field.join('.')} ${JSON.stringify(source.value)} is not a SemVer or PEP 440 release version`,
          {
            hint: `set ${source.field.join('.')} = "${pythonVersionOf(project.oldVersion, shown)}", or list "version" in project.dynamic`,
          },
        )
      }
      context.edits.set(file, 'toml', source.field, version(), project.name)
      return []
    }
    case 'cargo': {
      const manifest = resolve(dir, source.manifestPath)
      if (!existsSync(manifest)) {
        throw new VersioningError(
          'VERSION_MANIFEST_INVALID',
          `${shown}: the version is dynamic and maturin reads it from ${context.edits.show(manifest)}, which does not exist`,
          { hint: 'set tool.maturin.manifest-path to the crate maturin builds, or set project.version' },
        )
      }
      return [manifest]
    }
    case 'file': {
      const located = await locateVersionFile(source, (file) => context.edits.read(resolve(dir, file)))
      if (located.status === 'missing') {
        throw new VersioningError(
          'VERSION_MANIFEST_INVALID',
          `${shown}: ${source.field} reads the version from ${source.candidates.join(' or ')}, which does not exist`,
          {
            hint: 'create that file with __version__ = "x.y.z", or point the backend at the file that has it',
          },
        )
      }
      const versionFile = resolve(dir, located.file)
      const current = located.status === 'found' ? located.span.version : undefined
      if (!isPythonVersion(current)) {
        throw new VersioningError(
          'VERSION_MANIFEST_INVALID',
          `${context.edits.show(versionFile)}: ${current === undefined ? 'holds no version' : `${JSON.stringify(current)} is not a SemVer or PEP 440 release version`}, but ${shown} ${source.field} reads the version from it`,
          { hint: `write __version__ = "${pythonVersionOf(project.oldVersion, shown)}" into it` },
        )
      }
      context.edits.setText(versionFile, versionFileEditor(source.syntax), version(), project.name)
      return []
    }
    case 'vcs':
      context.reporter.emit({
        type: 'log',
        level: 'debug',
        message: `${shown}: the version comes from git (${source.tool}); the build pretends ${version()}`,
      })
      return []
    case 'unknown':
      // a pyproject.toml of a project polyship does not build as a wheel (tooling config) has no version to keep
      if (project.config.wheel === undefined) return []
      throw new VersioningError(
        'VERSION_MANIFEST_INVALID',
        `${shown}: no version polyship can write: ${source.reason}`,
        {
          hint: source.hint,
        },
      )
    default:
      return assertNever(source)
  }
}

function versionFileEditor(syntax: VersionFileSyntax): TextVersionEditor {
  return (text, file, version) => {
    const after = replaceVersionInFile(text, syntax, version)
    if (after === undefined) throw new Error(`${file}: the version vanished while versioning`)
    return after
  }
}

/** A workspace Python project: its pyproject.toml, distribution name, and whether it is released now. */
export interface PythonSibling {
  readonly project: string
  readonly pyproject: string
  /** PEP 503 normalized `project.name`. */
  readonly distribution: string
  /** PEP 440 version after this run; undefined when it is not released. */
  readonly released: string | undefined
}

/**
 * Dependency pins between sibling Python packages (`project.dependencies` and
 * `project.optional-dependencies` entries naming a released sibling's distribution)
 * follow the released version, keeping the operator, so a meta package released in the
 * same run pins exactly what was released. Only released projects' files change; an
 * unreleased one whose pin no longer admits the release gets a warning naming the fix.
 */
export async function syncPythonPins(
  context: SyncContext,
  siblings: readonly PythonSibling[],
): Promise<void> {
  const released = new Map(
    siblings.flatMap((s) => (s.released === undefined ? [] : [[s.distribution, s] as const])),
  )
  if (released.size === 0) return
  for (const dependent of siblings) {
    const doc = await readTomlFile(context, dependent.pyproject)
    if (doc === undefined || !isTable(doc.project)) continue
    const shown = context.edits.show(dependent.pyproject)
    const lists: [string[], unknown][] = [
      [['project', 'dependencies'], doc.project.dependencies],
      ...Object.entries(
        isTable(doc.project['optional-dependencies']) ? doc.project['optional-dependencies'] : {},
      ).map(([extra, list]): [string[], unknown] => [['project', 'optional-dependencies', extra], list]),
    ]
    for (const [path, list] of lists) {
      if (!Array.isArray(list)) continue
      list.forEach((entry: unknown, index) => {
        if (typeof entry !== 'string') return
        const requirement = parsePythonRequirement(entry)
        const target = requirement && released.get(normalizePythonName(requirement.name))
        if (target === undefined || target.project === dependent.project) return
        const followed = followPythonRequirement(entry, target.released!)
        if (followed === entry) return
        const where = `${shown} ${path.join('.')}`
        if (followed === undefined || dependent.released === undefined) {
          context.reporter.emit({
            type: 'log',
            level: 'warn',
            message:
              followed === undefined
                ? `${where}: "${entry}" does not admit ${requirement!.name} ${target.released}, which is released now; polyship retargets only single ==, >=, ~= and === pins, so update it by hand`
                : `${where}: "${entry}" does not admit ${requirement!.name} ${target.released}, but ${dependent.project} is not released: add "${target.project}": "workspace:*" to its package.json dependencies so it is released along`,
          })
          return
        }
        context.edits.set(dependent.pyproject, 'toml', [...path, index], followed, target.project)
      })
    }
  }
}
