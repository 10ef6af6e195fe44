import type { ImageConfig } from '@polyship/core'
import { DEFAULT_PYTHON_BASE } from './base-reference.ts'

/** Where a wheel goes in an image and which Python runs it. */
export interface PythonSettings {
  /** The base `python` stands for. */
  readonly base: string
  /** `major.minor`. */
  readonly version: string
  /** Absolute image paths. */
  readonly sitePackages: string
  readonly interpreter: string
  readonly scriptsDir: string
}

export const DEFAULT_PYTHON_VERSION = '3.11'

/**
 * What `python` means for an image: `override` (the release's choice for the `python`
 * alias, e.g. an OCI layout when no registry is reachable) or `python.base` or
 * `docker.io/library/python:3.11-slim`. The version comes from `python.version`, else from
 * the base tag (`3.12-slim` -> 3.12), else from the wheels when they all need one exact
 * CPython (`cp312-cp312`), else 3.11; paths follow the official python images
 * (`/usr/local/lib/python3.11/site-packages`, `/usr/local/bin/python3.11`).
 */
export function pythonSettings(
  config: ImageConfig['python'],
  options: { readonly override?: string | undefined; readonly wheelVersion?: string | undefined } = {},
): PythonSettings {
  const base = options.override ?? config?.base ?? DEFAULT_PYTHON_BASE
  const version = config?.version ?? versionOfTag(base) ?? options.wheelVersion ?? DEFAULT_PYTHON_VERSION
  return {
    base,
    version,
    sitePackages: config?.sitePackages ?? `/usr/local/lib/python${version}/site-packages`,
    interpreter: config?.interpreter ?? `/usr/local/bin/python${version}`,
    scriptsDir: config?.scriptsDir ?? '/usr/local/bin',
  }
}

function versionOfTag(base: string): string | undefined {
  if (base.includes('@')) return undefined
  const colon = base.lastIndexOf(':')
  if (colon === -1 || colon < base.lastIndexOf('/')) return undefined
  const match = /^(\d+)\.(\d+)(?![\d])/.exec(base.slice(colon + 1))
  return match === null ? undefined : `${match[1]}.${match[2]}`
}
