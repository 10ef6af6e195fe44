import { readFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { ArtifactCheck, CheckResult } from '@polyship/attest'
import { digestHex, isPolyshipError, type RecordedArtifact } from '@polyship/core'
import { fromHtml, normalizeName, type PackageIndex } from '@polyship/wheel'

export const failedRow = (
  artifact: string,
  check: CheckResult['check'],
  code: string,
  reason: string,
): CheckResult => ({
  artifact,
  check,
  status: 'failed',
  code,
  reason,
})

/**
 * PEP 503: the project page of the index must link the recorded file under its name, at
 * its own location, with its recorded sha256, so a page edited to send pip to a planted
 * file fails. A directory index (the embedded destination): `simple/<project>/index.html`
 * beside the file, and the root page linking the project. A remote index (destinations.wheels
 * of type pypi): its simple API listing, compared with the URL the record names.
 */
export function indexPageCheck(
  downloaded: ReadonlyMap<RecordedArtifact, string>,
  remoteIndex: PackageIndex | undefined,
): ArtifactCheck {
  return async (artifact, location, name) => {
    if ((artifact.kind !== 'wheel' && artifact.kind !== 'sdist') || location.kind !== 'file') return []
    const url = downloaded.get(artifact)
    if (url !== undefined)
      return remoteIndex === undefined ? [] : [await checkRemoteIndex(remoteIndex, artifact, url, name)]
    return [await checkDirectoryIndex(artifact, location.path, name)]
  }
}

const indexFailure = (name: string, reason: string) =>
  failedRow(name, 'index', 'ATTEST_INDEX_MISMATCH', reason)

async function checkRemoteIndex(
  index: PackageIndex,
  artifact: RecordedArtifact,
  url: string,
  name: string,
): Promise<CheckResult> {
  const file = artifact.name
  try {
    const held = (await index.held(normalizeName(file.split('-')[0] ?? file), [file])).get(file)
    if (held === undefined) return indexFailure(name, `${index.url} does not list ${file}`)
    const wrong = [
      ...(held.location === url ? [] : [`lists ${file} at ${held.location}, not at the released ${url}`]),
      ...(held.digest === artifact.digest
        ? []
        : [`lists ${file} with ${held.digest}, the release recorded ${artifact.digest}`]),
    ]
    if (wrong.length > 0) return indexFailure(name, `${index.url}: ${wrong.join('; ')}`)
    return {
      artifact: name,
      check: 'index',
      status: 'passed',
      detail: `${index.url} lists it with its sha256`,
    }
  } catch (error) {
    if (!isPolyshipError(error)) throw error
    return failedRow(name, 'index', error.code, error.message)
  }
}

async function checkDirectoryIndex(
  artifact: RecordedArtifact,
  path: string,
  name: string,
): Promise<CheckResult> {
  const projectDir = dirname(path)
  const page = join(projectDir, 'index.html')
  const fail = (reason: string) => indexFailure(name, `${page}: ${reason}`)
  const html = await readIfExists(page)
  if (html === undefined) return fail('missing: pip cannot find the file without its project page')
  const file = basename(path)
  const own = pathToFileURL(path).href
  const links = fromHtml(html, pathToFileURL(page).href).filter((l) => l.filename === file)
  if (links.length === 0) return fail(`does not link ${file}`)
  const wrong = links.flatMap((l) => [
    ...(l.url === own ? [] : [`links ${file} to ${l.url}, not to the released file ${own}`]),
    ...(l.sha256 === digestHex(artifact.digest)
      ? []
      : [
          `links ${file} with sha256 ${l.sha256 ?? '(none)'}, the release recorded ${digestHex(artifact.digest)}`,
        ]),
  ])
  if (wrong.length > 0) return fail(wrong.join('; '))
  const root = join(dirname(projectDir), 'index.html')
  const rootHtml = await readIfExists(root)
  const projectUrl = pathToFileURL(`${projectDir}/`).href
  if (
    rootHtml === undefined ||
    !fromHtml(rootHtml, pathToFileURL(root).href).some((l) => l.url === projectUrl)
  )
    return indexFailure(name, `${root}: does not link ${basename(projectDir)}/`)
  return { artifact: name, check: 'index', status: 'passed', detail: `${page} links it with its sha256` }
}

async function readIfExists(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw error
  })
}
