import { matchesGlob } from 'node:path'
import {
  addWorkspacePackages,
  parseRootConfig,
  parseWorkspacePackages,
  ROOT_SCHEMA_URL,
} from '@polyship/core'
import { InitError } from './errors.ts'
import { addJsonMember, appendJsonItem, formatJson } from './json-edit.ts'
import { parsing, parsingAsync } from './manifest-error.ts'
import { parsePackageJson } from './package-json.ts'
import type { FileEdit } from './project-manifest.ts'

export const RELEASE_SCRIPT = 'polyship release'

/** The Nx plugin entry init adds: the inferred polyship-build / polyship-package targets. */
export const NX_PLUGIN = {
  plugin: 'polyship/nx-plugin',
  options: { buildTargetName: 'polyship-build', packageTargetName: 'polyship-package' },
} as const

/** The root package.json with a `release` script (created with one when there is none). */
export function rootManifest(original: string | undefined, file: string, name: string): FileEdit {
  if (original === undefined) {
    const manifest = { name, version: '0.0.0', private: true, scripts: { release: RELEASE_SCRIPT } }
    return { text: `${formatJson(manifest)}\n`, change: 'workspace root with a release script' }
  }
  const json = parsePackageJson(original, file)
  const scripts = json.scripts
  if (scripts === undefined) {
    return {
      text: addJsonMember(original, file, [], 'scripts', { release: RELEASE_SCRIPT }),
      change: 'add scripts.release',
    }
  }
  if (typeof scripts !== 'object' || scripts === null || Array.isArray(scripts)) {
    throw new InitError(
      'INIT_WOULD_OVERWRITE',
      `${file}: scripts is not an object, and init would have to replace it`,
      {
        hint: `make scripts an object with "release": "${RELEASE_SCRIPT}", then run polyship init again`,
      },
    )
  }
  const release = (scripts as Record<string, unknown>).release
  if (release === undefined) {
    return {
      text: addJsonMember(original, file, ['scripts'], 'release', RELEASE_SCRIPT),
      change: 'add scripts.release',
    }
  }
  return {
    text: original,
    change:
      release === RELEASE_SCRIPT
        ? 'has scripts.release'
        : `scripts.release is ${JSON.stringify(release)}: kept`,
  }
}

const bare = (glob: string) => glob.replace(/^\.\//, '').replace(/\/+$/, '')
const reaches = (glob: string, dir: string) =>
  dir === '.' ? glob === '.' || glob === '' : matchesGlob(dir, glob)

/**
 * The `!` pattern of pnpm-workspace.yaml that leaves `dir` out, if one does. pnpm and
 * changesets (tinyglobby's `ignore`) apply negations whatever their order, so a directory a
 * negation reaches is no workspace package however many positive globs name it.
 */
export function excludingPattern(globs: readonly string[], dir: string): string | undefined {
  return globs.find((g) => g.startsWith('!') && reaches(bare(g.slice(1)), dir))
}

/**
 * Project directories pnpm-workspace.yaml's globs do not reach yet (`.` is reached only by
 * a `.` entry). A directory a `!` pattern excludes is not listed: adding a glob could not
 * bring it back, and the maintainer left it out on purpose.
 */
export function unlistedDirs(globs: readonly string[], dirs: readonly string[]): string[] {
  const positive = globs.filter((g) => !g.startsWith('!')).map(bare)
  return dirs.filter(
    (dir) => excludingPattern(globs, dir) === undefined && !positive.some((glob) => reaches(glob, dir)),
  )
}

/** pnpm-workspace.yaml listing every project directory; existing globs, comments and settings kept. */
export async function workspaceYaml(
  original: string | undefined,
  file: string,
  dirs: readonly string[],
): Promise<FileEdit> {
  const globs =
    original === undefined ? [] : await parsingAsync(file, () => parseWorkspacePackages(original, file))
  const missing = unlistedDirs(globs, dirs)
  if (missing.length === 0) return { text: original ?? '', change: 'lists every project' }
  const text = await addWorkspacePackages(original ?? '', file, missing)
  return { text, change: `add ${missing.join(', ')}` }
}

function isPolyshipPlugin(entry: unknown): boolean {
  const name = typeof entry === 'string' ? entry : (entry as { plugin?: unknown } | null)?.plugin
  return (
    typeof name === 'string' &&
    (name === NX_PLUGIN.plugin || /polyship.*nx-plugin|nx-plugin.*polyship/.test(name))
  )
}

/** nx.json with the polyship plugin; undefined when the repository does not use Nx (no nx.json). */
export function nxJson(original: string | undefined, file: string): FileEdit | undefined {
  if (original === undefined) return undefined
  const json = parsePackageJson(original, file)
  const plugins = json.plugins
  if (plugins === undefined)
    return {
      text: addJsonMember(original, file, [], 'plugins', [NX_PLUGIN]),
      change: 'add the polyship plugin',
    }
  if (!Array.isArray(plugins)) {
    throw new InitError(
      'INIT_WOULD_OVERWRITE',
      `${file}: plugins is not a list, and init would have to replace it`,
      {
        hint: `make plugins a list and add ${JSON.stringify(NX_PLUGIN)}, then run polyship init again`,
      },
    )
  }
  if (plugins.some(isPolyshipPlugin)) return { text: original, change: 'has the polyship plugin' }
  return { text: appendJsonItem(original, file, ['plugins'], NX_PLUGIN), change: 'add the polyship plugin' }
}

/** polyship.json: created minimal (`$schema`, and the repository URL when git knows it); an existing one is only checked. */
export function rootConfig(
  original: string | undefined,
  file: string,
  repository: string | undefined,
): FileEdit {
  if (original !== undefined) {
    parsing(file, () => parseRootConfig(parsePackageJson(original, file), file))
    return { text: original, change: 'kept' }
  }
  // `$schema` first: editors complete and check the file from the schema the package ships
  const config = { $schema: ROOT_SCHEMA_URL, ...(repository === undefined ? {} : { repository }) }
  parseRootConfig(config, file)
  return { text: `${formatJson(config)}\n`, change: 'embedded destinations under dist/, key signing' }
}

/** .gitignore lines that already keep polyship's output directory out of git. */
const IGNORES_DIST = /^\/?(\*\*\/)?dist(\/|\/\*\*?)?\s*$/m

/**
 * .gitignore with `dist/` (builds, packages and the embedded destinations) unless git
 * already ignores it (`ignored`: what `git check-ignore` says; undefined outside git,
 * where the file's own lines decide).
 */
export function gitignore(original: string | undefined, ignored: boolean | undefined): FileEdit {
  if (ignored ?? (original !== undefined && IGNORES_DIST.test(original))) {
    return { text: original ?? '', change: 'ignores dist/' }
  }
  const base =
    original === undefined || original === '' || original.endsWith('\n') ? (original ?? '') : `${original}\n`
  return { text: `${base}# polyship: builds, packages and local destinations\ndist/\n`, change: 'add dist/' }
}
