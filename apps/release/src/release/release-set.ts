import type { SbomComponent, SbomSubject } from '@polyship/attest'
import type { BuiltImage, ImageTag } from '@polyship/container'
import type { ArtifactKind, Digest, Project } from '@polyship/core'
import type { PackagedChart } from '@polyship/helm'
import type { NpmTarball } from '@polyship/npm'
import type { Distribution } from '@polyship/wheel'

/** What an SBOM of one artifact is made of; built and signed in the attest step. */
export interface SbomInput {
  readonly subject: SbomSubject
  readonly components: readonly SbomComponent[]
}

/** A file released as an asset (archives, checksums), to a package index (wheels, sdists) or to npm. */
export interface ReleaseFile {
  readonly kind: Extract<ArtifactKind, 'archive' | 'checksums' | 'wheel' | 'sdist' | 'npm' | 'mcp-server'>
  readonly name: string
  readonly path: string
  readonly digest: Digest
  readonly size: number
  readonly platform?: string
  readonly sbom?: SbomInput
  /** Set for wheels and sdists: they also go to the wheels destination. */
  readonly distribution?: Distribution
  /** Set for npm packages: they go to the npm destination. */
  readonly tarball?: NpmTarball
}

export interface ReleaseImage {
  readonly repository: string
  readonly built: BuiltImage
  readonly tags: readonly ImageTag[]
  readonly sbom: SbomInput
  readonly baseImages: readonly { readonly reference: string; readonly digest: Digest }[]
}

export interface ReleaseChart {
  readonly chart: PackagedChart
  readonly sbom: SbomInput
}

/** Everything one project releases, assembled and content-addressed, nothing published yet. */
export interface ProjectRelease {
  readonly project: Project
  readonly version: string
  readonly files: readonly ReleaseFile[]
  readonly image?: ReleaseImage
  readonly chart?: ReleaseChart
  readonly toolchains: Readonly<Record<string, string>>
  readonly skipped: readonly { readonly what: string; readonly reason: string }[]
}
