import { readdir, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type Digest, digestFile, digestHex, makeDirectory, placeOnce, writeFileAtomic } from '@polyship/core'
import type { Distribution } from '../inspect/distribution.ts'
import { type NormalizedName, normalizeName } from '../names.ts'
import type { AddResult, HeldFile, PackageIndex } from './package-index.ts'

/**
 * The embedded destination: a PEP 503 simple index in a directory,
 * `<root>/simple/<project>/<file>` with `<root>/simple/<project>/index.html` linking every
 * file with its `#sha256=` fragment, and `<root>/simple/index.html` listing projects.
 * `pipInstallCommand` gives the command that installs from it: `--index-url
 * file://<root>/simple/` alone finds no dependency that lives on PyPI, so the dependencies'
 * index goes in as `--extra-index-url`. Files are never overwritten: a file name is
 * taken atomically (hard link), and the pages are regenerated from the files on disk, so
 * an interrupted run is repaired by the next one.
 */
export function directoryIndex(root: string): PackageIndex {
  const simple = join(resolve(root), 'simple')
  const projectDir = (project: NormalizedName) => join(simple, project)
  // a taken file name is never overwritten, so each file is hashed once per index, not once per page write
  const digests = new Map<string, { digest: Digest; size: number }>()
  const hashed = async (path: string): Promise<{ digest: Digest; size: number }> => {
    let file = digests.get(path)
    if (file === undefined) {
      file = await digestFile(path)
      digests.set(path, file)
    }
    return file
  }
  const digestOf = async (path: string): Promise<Digest> => (await hashed(path)).digest
  // page writes run one at a time, each from a fresh listing, so the last one sees every file
  let pages: Promise<void> = Promise.resolve()
  const refreshPages = (project: NormalizedName) => {
    const run = pages.then(async () => {
      await writeProjectPage(projectDir(project), project, digestOf)
      await writeRootPage(simple)
    })
    pages = run.catch(() => {})
    return run
  }
  return {
    url: pathToFileURL(`${simple}/`).href,

    async held(project, filenames) {
      const out = new Map<string, HeldFile>()
      for (const filename of filenames) {
        const path = join(projectDir(project), filename)
        const file = await hashed(path).catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return undefined
          throw error
        })
        if (file !== undefined) out.set(filename, { digest: file.digest, location: path, size: file.size })
      }
      // a run interrupted between taking a name and writing the pages is repaired here
      if (out.size > 0) await refreshPages(project)
      return out
    },

    async add(distribution: Distribution): Promise<AddResult> {
      const project = normalizeName(distribution.name)
      const dir = projectDir(project)
      await makeDirectory(dir)
      const path = join(dir, distribution.filename)
      if (!(await placeOnce(distribution.path, path))) return { status: 'exists' }
      await refreshPages(project)
      return { status: 'added', location: path }
    },
  }
}

/** PyPI's simple API: where the dependencies of embedded-index packages come from by default. */
export const PYPI_SIMPLE_URL = 'https://pypi.org/simple'

/**
 * The pip argv that installs `requirement` from the embedded index at `root`, its
 * dependencies from `dependencyIndex` (default PyPI):
 * `pip install --index-url file://<root>/simple/ --extra-index-url https://pypi.org/simple acme==1.2.0`.
 * pip merges both indexes and takes the best match, so pin the version (`name==version`):
 * a higher release of the same name on the other index would otherwise win.
 */
export function pipInstallCommand(
  root: string,
  requirement: string,
  options: { readonly dependencyIndex?: string } = {},
): string[] {
  return [
    'pip',
    'install',
    '--index-url',
    pathToFileURL(`${join(resolve(root), 'simple')}/`).href,
    '--extra-index-url',
    options.dependencyIndex ?? PYPI_SIMPLE_URL,
    requirement,
  ]
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  )

function page(title: string, links: readonly (readonly [href: string, text: string])[]): string {
  const body = links
    .map(([href, text]) => `    <a href="${escapeHtml(href)}">${escapeHtml(text)}</a><br/>\n`)
    .join('')
  return `<!DOCTYPE html>\n<html>\n  <head>\n    <meta name="pypi:repository-version" content="1.0">\n    <title>${escapeHtml(title)}</title>\n  </head>\n  <body>\n    <h1>${escapeHtml(title)}</h1>\n${body}  </body>\n</html>\n`
}

/** Replaces a file through a temp file and rename, and only when its content changes. */
async function writeAtomic(file: string, text: string): Promise<void> {
  const current = await readFile(file, 'utf8').catch(() => undefined)
  if (current === text) return
  await writeFileAtomic(file, text)
}

/** Regenerates a project page from the files present, sorted, each with its sha256. */
async function writeProjectPage(
  dir: string,
  project: string,
  digestOf: (path: string) => Promise<Digest>,
): Promise<void> {
  const files = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isFile() && !e.name.startsWith('.') && e.name !== 'index.html')
    .map((e) => e.name)
    .sort()
  const links: [string, string][] = []
  for (const file of files) {
    const digest = await digestOf(join(dir, file))
    links.push([`${encodeURIComponent(file)}#sha256=${digestHex(digest)}`, file])
  }
  await writeAtomic(join(dir, 'index.html'), page(`Links for ${project}`, links))
}

async function writeRootPage(simple: string): Promise<void> {
  const projects = (await readdir(simple, { withFileTypes: true }))
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort()
  await writeAtomic(
    join(simple, 'index.html'),
    page(
      'Simple index',
      projects.map((p) => [`${p}/`, p] as const),
    ),
  )
}
