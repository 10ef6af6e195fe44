import { ContainerError } from '../errors.ts'

/**
 * Resolves a path inside the image to its archive form (`usr/local/bin/app`: relative, no
 * `.` or `..`). Relative paths are taken from `workdir`. A path whose `..` segments climb
 * above `/` is refused with CONTAINER_PATH_ESCAPES rather than clamped, because clamping
 * would silently put the file somewhere the user did not write.
 */
export function imagePath(path: string, where: string, workdir = '/'): string {
  const full = path.startsWith('/') ? path : `${workdir.replace(/\/+$/, '')}/${path}`
  const parts = walk(full.split('/'))
  if (parts === undefined) {
    throw new ContainerError('CONTAINER_PATH_ESCAPES', `${where}: "${path}" leaves the image root`, {
      hint: 'map files to absolute paths inside the image, e.g. /usr/local/bin/app, without climbing above / with ..',
    })
  }
  return parts.join('/')
}

/**
 * Resolves `relative` under a directory on the host (a project file mapping), refusing
 * absolute paths and any `..` that climbs out: returns the normalized relative path.
 */
export function insidePath(relative: string, where: string, root: string): string {
  const parts =
    relative.startsWith('/') || /^[A-Za-z]:[\\/]/.test(relative) ? undefined : walk(relative.split(/[\\/]/))
  if (parts === undefined) {
    throw new ContainerError('CONTAINER_PATH_ESCAPES', `${where}: "${relative}" is outside ${root}`, {
      hint: 'files come from inside the project directory; give a path relative to it without leading / or ..',
    })
  }
  return parts.join('/')
}

/**
 * Why `name` cannot be one file name in a directory of the image, or undefined when it can:
 * empty, `.` and `..` name the directory itself or its parent, `/` and `\\` separate paths
 * (backslash is a separator to every Windows-built tool), NUL ends the name in tar headers
 * and C, control characters are what no packaging tool writes.
 */
export function fileNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty'
  if (name === '.' || name === '..') return `"${name}" names a directory, not a file in it`
  if (/[/\\]/.test(name)) return 'it holds a path separator'
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'it holds NUL or a control character'
  return undefined
}

/**
 * `dir/name` as an archive path, refusing a `name` that is not one file name (see
 * `fileNameProblem`) with CONTAINER_NAME_INVALID: `what` says where the name came from
 * (`fastjson-1.0-py3-none-any.whl: console script`), `hint` what to do.
 */
export function fileIn(dir: string, name: string, what: string, hint: string): string {
  const problem = fileNameProblem(name)
  if (problem !== undefined) {
    throw new ContainerError(
      'CONTAINER_NAME_INVALID',
      `${what} ${JSON.stringify(name)} is not a file name (${problem}): it would be written as ${dir.replace(/\/+$/, '') || '/'} itself or outside it`,
      { hint },
    )
  }
  return imagePath(`${dir.replace(/\/+$/, '')}/${name}`, what)
}

function walk(segments: readonly string[]): string[] | undefined {
  const out: string[] = []
  for (const segment of segments) {
    if (segment === '' || segment === '.') continue
    if (segment === '..') {
      if (out.length === 0) return undefined
      out.pop()
    } else out.push(segment)
  }
  return out
}

/** The image path as users write it, for messages: `/usr/local/bin/app`. */
export function shownPath(archivePath: string): string {
  return `/${archivePath}`
}
