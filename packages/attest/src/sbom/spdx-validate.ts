import { AttestError } from '../errors.ts'

const SPDX_ID = /^SPDXRef-[A-Za-z0-9.-]+$/
const CREATED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/
const CHECKSUM_LENGTHS: Record<string, number> = { SHA1: 40, SHA256: 64, SHA512: 128 }

interface SpdxJson {
  spdxVersion?: unknown
  dataLicense?: unknown
  SPDXID?: unknown
  name?: unknown
  documentNamespace?: unknown
  creationInfo?: { created?: unknown; creators?: unknown }
  packages?: unknown
  relationships?: unknown
}

interface PackageJson {
  SPDXID?: unknown
  name?: unknown
  downloadLocation?: unknown
  checksums?: { algorithm?: unknown; checksumValue?: unknown }[]
  externalRefs?: { referenceCategory?: unknown; referenceType?: unknown; referenceLocator?: unknown }[]
}

interface RelationshipJson {
  spdxElementId?: unknown
  relationshipType?: unknown
  relatedSpdxElement?: unknown
}

/** The problems of an SPDX 2.3 JSON document that polyship's readers depend on, at most a few. */
function problemsOf(json: SpdxJson): string[] {
  const problems: string[] = []
  if (json.spdxVersion !== 'SPDX-2.3')
    problems.push(`spdxVersion is ${String(json.spdxVersion)}, not SPDX-2.3`)
  if (json.dataLicense !== 'CC0-1.0') problems.push('dataLicense must be CC0-1.0')
  if (json.SPDXID !== 'SPDXRef-DOCUMENT') problems.push('SPDXID must be SPDXRef-DOCUMENT')
  if (typeof json.name !== 'string' || json.name === '') problems.push('name is missing')
  const namespace = json.documentNamespace
  if (typeof namespace !== 'string' || !URL.canParse(namespace) || namespace.includes('#'))
    problems.push('documentNamespace must be a URI without "#"')
  if (typeof json.creationInfo?.created !== 'string' || !CREATED.test(json.creationInfo.created))
    problems.push('creationInfo.created must be YYYY-MM-DDThh:mm:ssZ')
  if (!Array.isArray(json.creationInfo?.creators) || json.creationInfo.creators.length === 0)
    problems.push('creationInfo.creators is empty')
  const ids = new Set<string>(['SPDXRef-DOCUMENT'])
  const packages = Array.isArray(json.packages) ? (json.packages as PackageJson[]) : []
  if (!Array.isArray(json.packages)) problems.push('packages is missing')
  for (const [index, pkg] of packages.entries()) {
    const where = `packages[${index}]`
    if (typeof pkg.SPDXID !== 'string' || !SPDX_ID.test(pkg.SPDXID))
      problems.push(`${where}.SPDXID is invalid`)
    else if (ids.has(pkg.SPDXID)) problems.push(`${where}.SPDXID ${pkg.SPDXID} is not unique`)
    else ids.add(pkg.SPDXID)
    if (typeof pkg.name !== 'string' || pkg.name === '') problems.push(`${where}.name is missing`)
    if (typeof pkg.downloadLocation !== 'string') problems.push(`${where}.downloadLocation is missing`)
    for (const checksum of pkg.checksums ?? []) {
      const length = CHECKSUM_LENGTHS[String(checksum.algorithm)]
      if (length === undefined || !new RegExp(`^[a-f0-9]{${length}}$`).test(String(checksum.checksumValue)))
        problems.push(`${where} has an invalid ${String(checksum.algorithm)} checksum`)
    }
    for (const ref of pkg.externalRefs ?? []) {
      if (ref.referenceType === 'purl' && !/^pkg:[a-z][a-z0-9.+-]*\/.+/.test(String(ref.referenceLocator)))
        problems.push(`${where} has an invalid purl ${String(ref.referenceLocator)}`)
    }
  }
  const relationships = Array.isArray(json.relationships) ? (json.relationships as RelationshipJson[]) : []
  for (const [index, rel] of relationships.entries()) {
    for (const end of [rel.spdxElementId, rel.relatedSpdxElement]) {
      if (typeof end !== 'string' || !ids.has(end))
        problems.push(`relationships[${index}] names ${String(end)}, which is not in the document`)
    }
  }
  if (
    !relationships.some((r) => r.spdxElementId === 'SPDXRef-DOCUMENT' && r.relationshipType === 'DESCRIBES')
  )
    problems.push('the document DESCRIBES nothing')
  return problems
}

/**
 * Checks SPDX 2.3 JSON for what the specification requires and polyship's readers rely on
 * (version, namespace, creation info, package identifiers, checksums, purls, relationships
 * that resolve). The full validator is the SPDX project's `pyspdxtools`, which tests run.
 */
export function validateSpdx(text: string, where: string): void {
  let json: SpdxJson
  try {
    json = JSON.parse(text) as SpdxJson
  } catch (cause) {
    throw new AttestError('ATTEST_SBOM_INVALID', `${where}: not valid JSON`, { cause })
  }
  const problems = typeof json === 'object' && json !== null ? problemsOf(json) : ['not a JSON object']
  if (problems.length > 0) {
    throw new AttestError(
      'ATTEST_SBOM_INVALID',
      `${where}: not a valid SPDX 2.3 document: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}`,
      { hint: 'a bug in whatever wrote the SBOM; if polyship wrote it, please report it' },
    )
  }
}
