import {
  type ArtifactKind,
  assertNever,
  type Digest,
  digestHex,
  formatPlatform,
  type Platform,
  sourceDateEpoch,
} from '@polyship/core'
import { AttestError } from '../errors.ts'
import { type ComponentType, ociPurl, packageUrl, type SbomComponent } from './component.ts'

/** The artifact an SBOM describes: CycloneDX's `metadata.component`, the package SPDX's document DESCRIBES. */
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
  /** Creation time in Unix seconds; default: SOURCE_DATE_EPOCH from `env`; see each format for neither. */
  readonly epoch?: number
  readonly env?: Readonly<Record<string, string | undefined>>
  /** polyship's version, recorded as the creating tool. */
  readonly toolVersion?: string
}

/**
 * The one component model both SBOM formats serialise: the subject as a component, every
 * component reachable from the input once (by purl, the first occurrence's data), and the
 * dependency edges of every occurrence. The formats only render it.
 */
export interface SbomGraph {
  readonly subject: SbomSubject
  readonly root: SbomComponent
  /** Every component but the root, by purl, in first-visit order. */
  readonly components: ReadonlyMap<string, SbomComponent>
  /** purl → the purls it depends on (or contains); the root's entry lists the input components. */
  readonly edges: ReadonlyMap<string, ReadonlySet<string>>
  /** Unix seconds, when known. */
  readonly epoch: number | undefined
  readonly toolVersion: string | undefined
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
    case 'mcp-server':
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
      return packageUrl('pypi', undefined, distribution, subject.version, { file_name: subject.name })
    }
    default:
      return packageUrl('generic', undefined, subject.name, subject.version, { checksum: subject.digest })
  }
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

/** Resolves the subject and its components into the graph both formats render; checks hashes once. */
export function sbomGraph(
  subject: SbomSubject,
  components: readonly SbomComponent[],
  options: SbomOptions = {},
): SbomGraph {
  const root: SbomComponent = {
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
  }
  checkHashes(root)
  const nodes = new Map<string, SbomComponent>()
  const edges = new Map<string, Set<string>>([[root.purl, new Set()]])
  const visit = (component: SbomComponent): string => {
    if (component.purl !== root.purl && !nodes.has(component.purl)) {
      checkHashes(component)
      nodes.set(component.purl, component)
    }
    let out = edges.get(component.purl)
    if (out === undefined) {
      out = new Set()
      edges.set(component.purl, out)
    }
    for (const child of component.dependsOn ?? []) out.add(visit(child))
    return component.purl
  }
  for (const component of components) edges.get(root.purl)!.add(visit(component))
  const epoch = options.epoch ?? (options.env?.SOURCE_DATE_EPOCH ? sourceDateEpoch(options.env) : undefined)
  return { subject, root, components: nodes, edges, epoch, toolVersion: options.toolVersion }
}
