import { createHash } from 'node:crypto'
import type { Enums, Models, Serialize } from '@cyclonedx/cyclonedx-library'
import { assertNoSecrets, type Digest, sha256 } from '@polyship/core'
import type { ComponentType, SbomComponent } from './component.ts'
import { type SbomGraph, type SbomOptions, type SbomSubject, sbomGraph } from './graph.ts'
import { type SpdxSbom, serializeSpdx } from './spdx.ts'
import { validateSbom } from './validate.ts'

export type { SbomOptions, SbomSubject } from './graph.ts'

/** A serialized, validated CycloneDX 1.6 JSON document. */
export interface CycloneDxSbom {
  readonly format: 'cyclonedx'
  readonly bytes: Uint8Array
  /** The same document parsed, the predicate of its attestation. */
  readonly document: Readonly<Record<string, unknown>>
  readonly digest: Digest
  readonly serialNumber: string
}

/** An SBOM in one of the formats polyship writes; `format` tells which. */
export type Sbom = CycloneDxSbom | SpdxSbom

export const SBOM_MEDIA_TYPE = 'application/vnd.cyclonedx+json'

/** RFC 4122 version 5 UUID (SHA-1 of namespace + name). */
export function uuidV5(name: string, namespace: string): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replaceAll('-', ''), 'hex'))
    .update(name)
    .digest()
  hash[6] = (hash[6]! & 0x0f) | 0x50
  hash[8] = (hash[8]! & 0x3f) | 0x80
  const hex = hash.subarray(0, 16).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8'
const SBOM_NAMESPACE = uuidV5('https://polyship.dev/sbom', URL_NAMESPACE)

/** The serial number of the SBOM of an artifact: the same artifact always gets the same one. */
export function sbomSerialNumber(digest: Digest): string {
  return `urn:uuid:${uuidV5(digest, SBOM_NAMESPACE)}`
}

type CycloneDx = Pick<
  typeof import('@cyclonedx/cyclonedx-library'),
  'Enums' | 'Models' | 'Serialize' | 'Spec'
>

/**
 * The parts of the CycloneDX library that write an SBOM, loaded when the first SBOM is
 * written: its subpaths, since the root also loads validation, SPDX and contrib modules
 * (~40 ms of CPU more).
 */
let library: Promise<{ readonly lib: CycloneDx; readonly serializer: Serialize.JsonSerializer }> | undefined
function cyclonedx() {
  library ??= Promise.all([
    import('@cyclonedx/cyclonedx-library/Enums'),
    import('@cyclonedx/cyclonedx-library/Models'),
    import('@cyclonedx/cyclonedx-library/Serialize'),
    import('@cyclonedx/cyclonedx-library/Spec'),
  ]).then(([Enums, Models, Serialize, Spec]) => ({
    lib: { Enums, Models, Serialize, Spec },
    serializer: new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6)),
  }))
  return library
}

function componentType(lib: CycloneDx, type: ComponentType): Enums.ComponentType {
  const types: Record<ComponentType, Enums.ComponentType> = {
    application: lib.Enums.ComponentType.Application,
    library: lib.Enums.ComponentType.Library,
    container: lib.Enums.ComponentType.Container,
    file: lib.Enums.ComponentType.File,
    framework: lib.Enums.ComponentType.Framework,
  }
  return types[type]
}

function toModel(lib: CycloneDx, component: SbomComponent): Models.Component {
  const model = new lib.Models.Component(componentType(lib, component.type), component.name, {
    bomRef: component.purl,
    purl: component.purl,
    ...(component.group === undefined ? {} : { group: component.group }),
    ...(component.version === undefined ? {} : { version: component.version }),
    ...(component.description === undefined ? {} : { description: component.description }),
    ...(component.scope === undefined
      ? {}
      : {
          scope:
            component.scope === 'optional'
              ? lib.Enums.ComponentScope.Optional
              : lib.Enums.ComponentScope.Required,
        }),
  })
  if (component.hashes?.sha256 !== undefined)
    model.hashes.set(lib.Enums.HashAlgorithm['SHA-256'], component.hashes.sha256)
  if (component.hashes?.sha512 !== undefined)
    model.hashes.set(lib.Enums.HashAlgorithm['SHA-512'], component.hashes.sha512)
  if (component.license !== undefined) model.licenses.add(new lib.Models.LicenseExpression(component.license))
  for (const [name, value] of Object.entries(component.properties ?? {})) {
    model.properties.add(new lib.Models.Property(name, value))
  }
  return model
}

/** Renders the graph as CycloneDX 1.6 JSON, validated against the strict schema. */
export async function serializeCycloneDx(graph: SbomGraph): Promise<CycloneDxSbom> {
  const { subject } = graph
  const { lib, serializer } = await cyclonedx()
  const bom = new lib.Models.Bom({ serialNumber: sbomSerialNumber(subject.digest) })
  if (graph.epoch !== undefined) bom.metadata.timestamp = new Date(graph.epoch * 1000)
  bom.metadata.tools.components.add(
    new lib.Models.Component(lib.Enums.ComponentType.Application, 'polyship', {
      ...(graph.toolVersion === undefined ? {} : { version: graph.toolVersion }),
    }),
  )
  const root = toModel(lib, graph.root)
  bom.metadata.component = root
  const models = new Map<string, Models.Component>([[graph.root.purl, root]])
  for (const [purl, component] of graph.components) {
    const model = toModel(lib, component)
    models.set(purl, model)
    bom.components.add(model)
  }
  for (const [purl, children] of graph.edges) {
    const model = models.get(purl)!
    for (const child of children) model.dependencies.add(models.get(child)!.bomRef)
  }

  const text = `${serializer.serialize(bom, { sortLists: true, space: 2 })}\n`
  await validateSbom(text, `SBOM of ${subject.name}`)
  assertNoSecrets(text, `the SBOM of ${subject.name}`)
  const bytes = new TextEncoder().encode(text)
  return {
    format: 'cyclonedx',
    bytes,
    document: JSON.parse(text) as Record<string, unknown>,
    digest: sha256(bytes),
    serialNumber: sbomSerialNumber(subject.digest),
  }
}

/**
 * The CycloneDX 1.6 SBOM of one artifact: the artifact as metadata.component, every
 * component reachable from `components` once (by purl), their `dependsOn` as the
 * dependency graph. Byte-identical for identical input: lists are sorted, the serial number
 * derives from the artifact digest and the timestamp from SOURCE_DATE_EPOCH.
 */
export async function buildSbom(
  subject: SbomSubject,
  components: readonly SbomComponent[],
  options: SbomOptions = {},
): Promise<CycloneDxSbom> {
  return serializeCycloneDx(sbomGraph(subject, components, options))
}

/** Both SBOMs of one artifact, CycloneDX 1.6 and SPDX 2.3, rendered from one graph. */
export interface SbomPair {
  readonly cyclonedx: CycloneDxSbom
  readonly spdx: SpdxSbom
}

/** `buildSbom` and its SPDX 2.3 twin, from the same component graph. */
export async function buildSboms(
  subject: SbomSubject,
  components: readonly SbomComponent[],
  options: SbomOptions = {},
): Promise<SbomPair> {
  const graph = sbomGraph(subject, components, options)
  return { cyclonedx: await serializeCycloneDx(graph), spdx: serializeSpdx(graph) }
}
