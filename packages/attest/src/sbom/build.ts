import { createHash } from 'node:crypto'
import { Enums, Models, Serialize, Spec } from '@cyclonedx/cyclonedx-library'
import {
  type ArtifactKind,
  assertNever,
  assertNoSecrets,
  type Digest,
  digestHex,
  formatPlatform,
  type Platform,
  sha256,
  sourceDateEpoch,
} from '@polyship/core'
import { PackageURL } from 'packageurl-js'
import { AttestError } from '../errors.ts'
import { type ComponentType, ociPurl, type SbomComponent } from './component.ts'
import { validateSbom } from './validate.ts'

/** The artifact an SBOM describes: its `metadata.component`. */
export interface SbomSubject {
  readonly kind: ArtifactKind
  /** File name for files, repository for images and charts. */
  readonly name: string
  readonly version: string
  readonly digest: Digest
  /** Overrides the purl derived from kind and name (e.g. `pkg:golang/<main module>@<version>` for a Go binary). */
  readonly purl?: string
  readonly platform?: Platform
}

export interface SbomOptions {
  /** metadata.timestamp in Unix seconds; default: SOURCE_DATE_EPOCH from `env`; omitted when neither is set. */
  readonly epoch?: number
  readonly env?: Readonly<Record<string, string | undefined>>
  /** polyship's version, recorded in metadata.tools. */
  readonly toolVersion?: string
}

/** A serialized, validated CycloneDX 1.6 JSON document. */
export interface Sbom {
  readonly bytes: Uint8Array
  /** The same document parsed, the predicate of its attestation. */
  readonly document: Readonly<Record<string, unknown>>
  readonly digest: Digest
  readonly serialNumber: string
}

export const SBOM_MEDIA_TYPE = 'application/vnd.cyclonedx+json'

/** RFC 4122 version 5 UUID (SHA-1 of namespace + name). */
function uuidV5(name: string, namespace: string): string {
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

function subjectType(kind: ArtifactKind): ComponentType {
  switch (kind) {
    case 'binary':
    case 'chart':
      return 'application'
    case 'wheel':
    case 'npm':
      return 'library'
    case 'image':
    case 'image-index':
      return 'container'
    case 'archive':
    case 'checksums':
    case 'sdist':
    case 'sbom':
    case 'signature':
    case 'provenance':
      return 'file'
    default:
      return assertNever(kind, 'artifact kind')
  }
}

function subjectPurl(subject: SbomSubject): string {
  if (subject.purl !== undefined) return subject.purl
  switch (subject.kind) {
    case 'image':
    case 'image-index':
      return ociPurl(subject.name, subject.digest)
    case 'chart':
      return ociPurl(subject.name, subject.digest, subject.version.replaceAll('+', '_'))
    case 'wheel':
    case 'sdist': {
      const distribution = subject.name.split('-')[0] ?? subject.name
      return new PackageURL(
        'pypi',
        undefined,
        distribution,
        subject.version,
        { file_name: subject.name },
        undefined,
      ).toString()
    }
    default:
      return new PackageURL(
        'generic',
        undefined,
        subject.name,
        subject.version,
        { checksum: subject.digest },
        undefined,
      ).toString()
  }
}

const COMPONENT_TYPES: Record<ComponentType, Enums.ComponentType> = {
  application: Enums.ComponentType.Application,
  library: Enums.ComponentType.Library,
  container: Enums.ComponentType.Container,
  file: Enums.ComponentType.File,
  framework: Enums.ComponentType.Framework,
}

const HEX_LENGTHS = { sha256: 64, sha512: 128 } as const

function checkHashes(component: SbomComponent): void {
  for (const [alg, length] of Object.entries(HEX_LENGTHS)) {
    const value = component.hashes?.[alg as keyof typeof HEX_LENGTHS]
    if (value !== undefined && !new RegExp(`^[a-f0-9]{${length}}$`).test(value)) {
      throw new AttestError(
        'ATTEST_INPUT_INVALID',
        `${component.purl}: ${alg} "${value}" is not ${length} lowercase hex digits`,
        {
          hint: 'hashes come from the build step (Cargo.lock checksum, go.sum); check what it reported',
        },
      )
    }
  }
}

function toModel(component: SbomComponent): Models.Component {
  checkHashes(component)
  const model = new Models.Component(COMPONENT_TYPES[component.type], component.name, {
    bomRef: component.purl,
    purl: component.purl,
    ...(component.group === undefined ? {} : { group: component.group }),
    ...(component.version === undefined ? {} : { version: component.version }),
    ...(component.description === undefined ? {} : { description: component.description }),
    ...(component.scope === undefined
      ? {}
      : {
          scope:
            component.scope === 'optional' ? Enums.ComponentScope.Optional : Enums.ComponentScope.Required,
        }),
  })
  if (component.hashes?.sha256 !== undefined)
    model.hashes.set(Enums.HashAlgorithm['SHA-256'], component.hashes.sha256)
  if (component.hashes?.sha512 !== undefined)
    model.hashes.set(Enums.HashAlgorithm['SHA-512'], component.hashes.sha512)
  for (const [name, value] of Object.entries(component.properties ?? {})) {
    model.properties.add(new Models.Property(name, value))
  }
  return model
}

const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6))

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
): Promise<Sbom> {
  const epoch = options.epoch ?? (options.env?.SOURCE_DATE_EPOCH ? sourceDateEpoch(options.env) : undefined)
  const bom = new Models.Bom({ serialNumber: sbomSerialNumber(subject.digest) })
  if (epoch !== undefined) bom.metadata.timestamp = new Date(epoch * 1000)
  bom.metadata.tools.components.add(
    new Models.Component(Enums.ComponentType.Application, 'polyship', {
      ...(options.toolVersion === undefined ? {} : { version: options.toolVersion }),
    }),
  )

  const root = toModel({
    type: subjectType(subject.kind),
    name: subject.name,
    version: subject.version,
    purl: subjectPurl(subject),
    hashes: { sha256: digestHex(subject.digest) },
    properties: {
      'polyship:artifact:kind': subject.kind,
      ...(subject.platform === undefined
        ? {}
        : { 'polyship:artifact:platform': formatPlatform(subject.platform) }),
    },
  })
  bom.metadata.component = root

  const models = new Map<string, Models.Component>([[root.bomRef.value!, root]])
  const visit = (component: SbomComponent): Models.Component => {
    let model = models.get(component.purl)
    if (model === undefined) {
      model = toModel(component)
      models.set(component.purl, model)
      bom.components.add(model)
    }
    for (const child of component.dependsOn ?? []) model.dependencies.add(visit(child).bomRef)
    return model
  }
  for (const component of components) root.dependencies.add(visit(component).bomRef)

  const text = `${serializer.serialize(bom, { sortLists: true, space: 2 })}\n`
  await validateSbom(text, `SBOM of ${subject.name}`)
  assertNoSecrets(text, `the SBOM of ${subject.name}`)
  const bytes = new TextEncoder().encode(text)
  return {
    bytes,
    document: JSON.parse(text) as Record<string, unknown>,
    digest: sha256(bytes),
    serialNumber: sbomSerialNumber(subject.digest),
  }
}
