import { basename } from 'node:path'
import { type Digest, digestFile, samePythonVersion, type ZipReader } from '@polyship/core'
import { WheelError } from '../errors.ts'
import { escapedName, formatTag, isValidDistributionName, parseDistributionFilename } from '../names.ts'
import { type CoreMetadata, parseCoreMetadata } from './metadata.ts'
import { verifyRecord } from './record.ts'
import { openWheelZip, readSdistTar } from './wheel-zip.ts'

/** A built wheel or sdist, read and checked: what publishing and the SBOM step need to know. */
export interface Distribution {
  readonly kind: 'wheel' | 'sdist'
  readonly path: string
  readonly filename: string
  /** Name and version as the metadata spells them. */
  readonly name: string
  readonly version: string
  /** The upload form's `pyversion`: the wheel's python tag, `source` for an sdist. */
  readonly pythonTag: string
  /** Expanded compatibility tags (`cp39-abi3-manylinux_2_17_x86_64`); empty for an sdist. */
  readonly tags: readonly string[]
  readonly metadata: CoreMetadata
  readonly digest: Digest
  readonly size: number
}

/**
 * Reads a wheel or sdist and checks it is self-consistent: file name against metadata,
 * wheel tags against WHEEL, every file against RECORD. Throws WHEEL_ARCHIVE_INVALID or
 * WHEEL_RECORD_INVALID naming the file.
 */
export async function inspectDistribution(path: string): Promise<Distribution> {
  const parsed = parseDistributionFilename(basename(path))
  const bad = (what: string): never => {
    throw new WheelError('WHEEL_ARCHIVE_INVALID', `${path}: ${what}`, {
      hint: 'rebuild it with its build backend; polyship publishes only files whose metadata agrees with their name',
    })
  }
  let metadataText: string
  let tags: string[] = []
  if (parsed.kind === 'wheel') {
    await using zip = await openWheelZip(path)
    const infoDirs = new Set(
      zip.entries.map((e) => e.name.split('/')[0]!).filter((top) => top.endsWith('.dist-info')),
    )
    if (infoDirs.size !== 1) bad(`expected one .dist-info directory, found ${infoDirs.size}`)
    const [infoDir] = infoDirs as Set<string>
    metadataText = await readText(zip, `${infoDir}/METADATA`, bad)
    const wheelFile = parseCoreHeaders(await readText(zip, `${infoDir}/WHEEL`, bad))
    if (!/^1\.\d+$/.test(wheelFile.get('wheel-version')?.[0] ?? ''))
      bad(
        `${infoDir}/WHEEL has Wheel-Version ${wheelFile.get('wheel-version')?.[0] ?? '(none)'}, expected 1.x`,
      )
    tags = parsed.tags.map(formatTag).sort()
    // pdm-backend writes the compressed set (`py2.py3-none-any`) where the spec lists expanded tags
    const declared = [...new Set((wheelFile.get('tag') ?? []).flatMap(expandTag))].sort()
    if (declared.join(' ') !== tags.join(' '))
      bad(
        `the file name carries tags ${tags.join(', ')} but ${infoDir}/WHEEL declares ${declared.join(', ') || 'none'}`,
      )
    await verifyRecord(zip, `${infoDir}/RECORD`)
  } else {
    const top = `${parsed.distribution}-${parsed.version}`
    const listing = await readSdistTar(path, (name) => /^[^/]+\/PKG-INFO$/.test(name))
    const outside = listing.names.find((name) => name !== top && !name.startsWith(`${top}/`))
    if (outside !== undefined) bad(`${outside} is outside the top directory ${top}/`)
    const pkgInfo = listing.files.get(`${top}/PKG-INFO`)
    if (pkgInfo === undefined) bad(`${top}/PKG-INFO is missing`)
    metadataText = pkgInfo!.toString('utf8')
  }
  const metadata = parseCoreMetadata(metadataText)
  if ('missing' in metadata) return bad(`metadata lacks ${metadata.missing.join(', ')}`)
  if (!isValidDistributionName(metadata.name))
    bad(
      `the metadata names the project ${JSON.stringify(metadata.name)}, which is not a Python project name (PEP 508: letters, digits and . _ -, starting and ending with a letter or digit); an index would refuse it or file it elsewhere`,
    )
  if (escapedName(metadata.name) !== escapedName(parsed.distribution))
    bad(`the file name says ${parsed.distribution} but the metadata names ${metadata.name}`)
  if (!samePythonVersion(metadata.version, parsed.version))
    bad(`the file name says version ${parsed.version} but the metadata says ${metadata.version}`)
  const { digest, size } = await digestFile(path)
  return {
    kind: parsed.kind === 'wheel' ? 'wheel' : 'sdist',
    path,
    filename: parsed.filename,
    name: metadata.name,
    version: metadata.version,
    pythonTag: parsed.kind === 'wheel' ? parsed.pythonTag : 'source',
    tags,
    metadata,
    digest,
    size,
  }
}

async function readText(zip: ZipReader, name: string, bad: (what: string) => never): Promise<string> {
  const entry = zip.find(name)
  if (entry === undefined) bad(`${name} is missing`)
  return (await zip.read(entry!)).toString('utf8')
}

/** `py2.py3-none-any` -> `py2-none-any`, `py3-none-any`; an expanded tag is returned as is. */
function expandTag(tag: string): string[] {
  const [python, abi, platform] = tag.split('-')
  if (python === undefined || abi === undefined || platform === undefined) return [tag]
  return python
    .split('.')
    .flatMap((p) => abi.split('.').flatMap((a) => platform.split('.').map((pl) => `${p}-${a}-${pl}`)))
}

/** Headers of a WHEEL file, lowercased names, values in order. */
function parseCoreHeaders(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const key = line.slice(0, colon).trim().toLowerCase()
    out.set(key, [...(out.get(key) ?? []), line.slice(colon + 1).trim()])
  }
  return out
}
