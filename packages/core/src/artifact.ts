import type { Digest } from './digest.ts'
import type { Platform } from './platform.ts'

/** Every kind of thing a release produces. */
export type ArtifactKind =
  | 'binary'
  | 'archive'
  | 'checksums'
  | 'wheel'
  | 'sdist'
  | 'image'
  | 'image-index'
  | 'chart'
  /** An npm package tarball (`name-1.0.0.tgz`). */
  | 'npm'
  /** An MCP registry server.json listing a project's released packages. */
  | 'mcp-server'
  | 'sbom'
  | 'signature'
  | 'provenance'

/**
 * One produced artifact. `path` is where it lies on disk after packaging (files);
 * `locations` are where it was published (filled in by the publish step).
 */
export interface Artifact {
  readonly kind: ArtifactKind
  /** File name for files (`time-server-go_1.2.0_linux_amd64.tar.gz`), repository for images and charts. */
  readonly name: string
  /** The releasing project (package.json `name`). */
  readonly project: string
  readonly version: string
  readonly platform?: Platform
  readonly path?: string
  readonly digest: Digest
  readonly size: number
  readonly mediaType?: string
  /** Free-form, format-specific facts (go version, wheel tags, ...). */
  readonly extra?: Readonly<Record<string, unknown>>
}
