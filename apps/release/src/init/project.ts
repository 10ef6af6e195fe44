import type { ProjectConfig } from '@polyship/core'

/** What a directory holds, by the native manifest it was found by. */
export type ProjectKind = 'go' | 'rust' | 'python' | 'chart' | 'npm' | 'configured'

/** A project init found: where, what it is called, and what its package.json needs. */
export interface DetectedProject {
  /** Workspace-relative POSIX directory (`.` for the root). */
  readonly dir: string
  readonly kind: ProjectKind
  /** The package.json name: the native manifest's name, made a valid package name. */
  readonly name: string
  readonly version: string
  /** The file it was found by, workspace-relative. */
  readonly manifest: string
  /** The `polyship` field it needs; undefined for npm packages, which ship as they are. */
  readonly config: ProjectConfig | undefined
  readonly description?: string
  readonly license?: string
  /** The program an image of it would run: the binary name, or the first console script. */
  readonly executable?: string
  /** Python: `[build-system].build-backend` (PEP 517's setuptools default when absent). */
  readonly buildBackend?: string
  /** Go: every main package of the module (`.`, `./cmd/x`); polyship.binary.main ships one. */
  readonly mains?: readonly string[]
  /** Rust: every bin target of the crate; polyship.binary ships one. */
  readonly bins?: readonly string[]
  /** Dockerfiles beside the project (noted; images are assembled without them). */
  readonly dockerfiles?: readonly string[]
  /** Workspace projects it deploys (a chart's images): package.json dependencies `workspace:*`. */
  readonly dependsOn?: readonly string[]
  /** Things the maintainer should know: other mains, the build backend, a Dockerfile not used... */
  readonly notes: readonly string[]
}

/** A manifest init looked at and does not release, with the reason. */
export interface SkippedManifest {
  readonly path: string
  readonly reason: string
}

export interface Detection {
  readonly projects: readonly DetectedProject[]
  readonly skipped: readonly SkippedManifest[]
}

/** Reads a workspace-relative file as text. */
export type ReadText = (path: string) => Promise<string>

/** A native project before names are settled across the workspace. */
export type NativeProject = Omit<DetectedProject, 'name'> & { readonly nativeName: string }

/** `dir/name` without a `./` for the root. */
export function joinPath(dir: string, name: string): string {
  return dir === '.' ? name : `${dir}/${name}`
}

/** The directory of a workspace-relative path (`.` for the root). */
export function dirOf(path: string): string {
  const at = path.lastIndexOf('/')
  return at === -1 ? '.' : path.slice(0, at)
}

/**
 * A native name as a package.json name: lowercase, and characters npm does not accept
 * (`_`, spaces, `/` of a Go module path) turned into `-`. `My_Tool` -> `my-tool`.
 */
export function packageName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, '-')
    .replace(/^[._-]+|[._-]+$/g, '')
}
