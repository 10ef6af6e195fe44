import { createHash } from 'node:crypto'
import { assertNoSecrets, type Digest, digestHex, sha256 } from '@polyship/core'
import type { ComponentType, SbomComponent } from './component.ts'
import type { SbomGraph } from './graph.ts'
import { validateSpdx } from './spdx-validate.ts'

/**
 * SPDX 2.3 JSON, written by hand: the SPDX project's JS library (@spdx/tools) calls itself
 * not ready for production and offers no control over namespace or ordering, which
 * reproducible documents need. The shape is small: packages, checksums, purls, relationships.
 */

/** A serialized SPDX 2.3 JSON document. */
export interface SpdxSbom {
  readonly format: 'spdx'
  readonly bytes: Uint8Array
  /** The same document parsed, the predicate of its attestation. */
  readonly document: Readonly<Record<string, unknown>>
  readonly digest: Digest
  readonly namespace: string
}

export const SPDX_MEDIA_TYPE = 'application/spdx+json'
export const SPDX_VERSION = 'SPDX-2.3'

interface SpdxPackage {
  readonly SPDXID: string
  readonly name: string
  readonly versionInfo?: string
  readonly downloadLocation: 'NOASSERTION'
  readonly filesAnalyzed: false
  readonly checksums?: readonly { readonly algorithm: 'SHA256' | 'SHA512'; readonly checksumValue: string }[]
  readonly licenseConcluded: 'NOASSERTION'
  readonly licenseDeclared: string
  readonly copyrightText: 'NOASSERTION'
  readonly description?: string
  readonly primaryPackagePurpose: string
  readonly externalRefs: readonly {
    readonly referenceCategory: 'PACKAGE-MANAGER'
    readonly referenceType: 'purl'
    readonly referenceLocator: string
  }[]
}

type RelationshipType = 'DESCRIBES' | 'CONTAINS' | 'DEPENDS_ON'

interface SpdxRelationship {
  readonly spdxElementId: string
  readonly relationshipType: RelationshipType
  readonly relatedSpdxElement: string
}

const PURPOSES: Record<ComponentType, string> = {
  application: 'APPLICATION',
  library: 'LIBRARY',
  container: 'CONTAINER',
  file: 'FILE',
  framework: 'FRAMEWORK',
}

const NAMESPACE_BASE = 'https://polyship.dev/spdxdocs'

function idSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '') || 'package'
}

/** A package's SPDXID: its name for people, a hash of its purl for uniqueness. */
function spdxId(component: SbomComponent): string {
  const hash = createHash('sha256').update(component.purl).digest('hex').slice(0, 16)
  return `SPDXRef-Package-${idSafe(component.name)}-${hash}`
}

/**
 * The documentNamespace of the SPDX SBOM of an artifact: derived from its digest, so the same
 * artifact always gets the same one (and no two artifacts share one).
 */
export function spdxNamespace(name: string, digest: Digest): string {
  return `${NAMESPACE_BASE}/${idSafe(name)}-${digestHex(digest)}`
}

function toPackage(component: SbomComponent, purpose = PURPOSES[component.type]): SpdxPackage {
  const checksums = [
    ...(component.hashes?.sha256 === undefined
      ? []
      : [{ algorithm: 'SHA256' as const, checksumValue: component.hashes.sha256 }]),
    ...(component.hashes?.sha512 === undefined
      ? []
      : [{ algorithm: 'SHA512' as const, checksumValue: component.hashes.sha512 }]),
  ]
  return {
    SPDXID: spdxId(component),
    name: component.group === undefined ? component.name : `${component.group}/${component.name}`,
    ...(component.version === undefined ? {} : { versionInfo: component.version }),
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    ...(checksums.length === 0 ? {} : { checksums }),
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: component.license ?? 'NOASSERTION',
    copyrightText: 'NOASSERTION',
    ...(component.description === undefined ? {} : { description: component.description }),
    primaryPackagePurpose: purpose,
    externalRefs: [
      { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: component.purl },
    ],
  }
}

const isHelmChart = (component: SbomComponent) => component.properties?.['polyship:kind'] === 'helm-chart'

/**
 * How an edge of the graph reads in SPDX: archives and images CONTAIN what they hold, a chart
 * CONTAINS its vendored subcharts (and DEPENDS_ON the images it deploys); everything else,
 * what a binary links or a wheel requires, is DEPENDS_ON.
 */
function relationshipOf(graph: SbomGraph, parent: SbomComponent, child: SbomComponent): RelationshipType {
  if (parent === graph.root) {
    switch (graph.subject.kind) {
      case 'archive':
      case 'sdist':
      case 'image':
      case 'image-index':
        return 'CONTAINS'
      default:
        break
    }
  }
  if (isHelmChart(child) && (parent === graph.root ? graph.subject.kind === 'chart' : isHelmChart(parent)))
    return 'CONTAINS'
  return 'DEPENDS_ON'
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/**
 * Renders the graph as SPDX 2.3 JSON: the subject and every component as packages (purl as a
 * PACKAGE-MANAGER reference, SHA256/SHA512 checksums, declared license or NOASSERTION), the
 * document DESCRIBES the subject, the graph's edges as CONTAINS/DEPENDS_ON. Byte-identical for
 * identical input: packages and relationships are sorted, the namespace derives from the
 * artifact digest and `created` from SOURCE_DATE_EPOCH (the current time when neither is given).
 */
export function serializeSpdx(graph: SbomGraph, now: () => Date = () => new Date()): SpdxSbom {
  const { subject, root } = graph
  const rootPurpose = subject.kind === 'archive' || subject.kind === 'sdist' ? 'ARCHIVE' : undefined
  const byPurl = new Map<string, SbomComponent>([[root.purl, root], ...graph.components])
  const packages = [toPackage(root, rootPurpose), ...[...graph.components.values()].map((c) => toPackage(c))]
  packages.sort((a, b) => compare(a.SPDXID, b.SPDXID))
  const rootId = spdxId(root)
  const edges: SpdxRelationship[] = []
  for (const [purl, children] of graph.edges) {
    const parent = byPurl.get(purl)!
    for (const childPurl of children) {
      const child = byPurl.get(childPurl)!
      edges.push({
        spdxElementId: spdxId(parent),
        relationshipType: relationshipOf(graph, parent, child),
        relatedSpdxElement: spdxId(child),
      })
    }
  }
  edges.sort(
    (a, b) =>
      compare(a.spdxElementId, b.spdxElementId) ||
      compare(a.relationshipType, b.relationshipType) ||
      compare(a.relatedSpdxElement, b.relatedSpdxElement),
  )
  const created = graph.epoch === undefined ? now() : new Date(graph.epoch * 1000)
  const namespace = spdxNamespace(subject.name, subject.digest)
  const document = {
    spdxVersion: SPDX_VERSION,
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `${subject.name}@${subject.version}`,
    documentNamespace: namespace,
    creationInfo: {
      created: created.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      creators: [graph.toolVersion === undefined ? 'Tool: polyship' : `Tool: polyship-${graph.toolVersion}`],
    },
    packages,
    relationships: [
      { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: rootId },
      ...edges,
    ],
  }
  const text = `${JSON.stringify(document, null, 2)}\n`
  validateSpdx(text, `SPDX SBOM of ${subject.name}`)
  assertNoSecrets(text, `the SPDX SBOM of ${subject.name}`)
  const bytes = new TextEncoder().encode(text)
  return {
    format: 'spdx',
    bytes,
    document: JSON.parse(text) as Record<string, unknown>,
    digest: sha256(bytes),
    namespace,
  }
}
