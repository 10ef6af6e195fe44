import { isAbsolute, resolve } from 'node:path'
import { isPolyshipError } from '@polyship/core'
import { formatReference, type ImageReference, parseReference, parseTag } from '@polyship/oci'
import { ContainerError } from '../errors.ts'

/** What an image is built on, parsed from `polyship.image.base`. */
export type BaseSpec =
  | { readonly kind: 'scratch' }
  | { readonly kind: 'static' }
  | {
      readonly kind: 'layout'
      /** As written (`oci:bases/python:3.11`): recorded in `org.opencontainers.image.base.name`. */
      readonly name: string
      /** Absolute layout directory. */
      readonly dir: string
      /** Tag or digest in the layout. */
      readonly ref: string
    }
  | { readonly kind: 'registry'; readonly name: string; readonly reference: ImageReference }

export const DEFAULT_PYTHON_BASE = 'docker.io/library/python:3.11-slim'
export const DEFAULT_NODE_BASE = 'docker.io/library/node:24-slim'

/**
 * Parses a base: `scratch`, `static`, `oci:DIR[:TAG|@sha256:...]` (an OCI image layout,
 * DIR relative to `baseDir`, tag `latest` when none is given, as skopeo reads it) or a
 * registry reference. Aliases such as `python` and `node` are resolved before (see
 * `pythonSettings`, `nodeSettings`).
 */
export function parseBase(
  text: string,
  options: { readonly baseDir: string; readonly where: string },
): BaseSpec {
  if (text === 'scratch') return { kind: 'scratch' }
  if (text === 'static') return { kind: 'static' }
  if (text.startsWith('oci:')) {
    const rest = text.slice('oci:'.length)
    const at = rest.indexOf('@sha256:')
    const colon = rest.lastIndexOf(':')
    const [dir, ref] =
      at !== -1
        ? [rest.slice(0, at), rest.slice(at + 1)]
        : colon > rest.lastIndexOf('/')
          ? [rest.slice(0, colon), rest.slice(colon + 1)]
          : [rest, 'latest']
    if (dir === '') throw invalidBase(text, options.where, 'the layout directory is empty')
    if (at === -1) {
      try {
        parseTag(ref, `${options.where}: tag of "${text}"`)
      } catch (cause) {
        throw invalidBase(text, options.where, isPolyshipError(cause) ? cause.message : String(cause), cause)
      }
    }
    return { kind: 'layout', name: text, dir: isAbsolute(dir) ? dir : resolve(options.baseDir, dir), ref }
  }
  try {
    const reference = parseReference(text, options.where)
    const tagged =
      reference.tag === undefined && reference.digest === undefined
        ? { ...reference, tag: 'latest' }
        : reference
    return { kind: 'registry', name: formatReference(tagged), reference: tagged }
  } catch (cause) {
    throw invalidBase(text, options.where, isPolyshipError(cause) ? cause.message : String(cause), cause)
  }
}

function invalidBase(text: string, where: string, problem: string, cause?: unknown): ContainerError {
  return new ContainerError('CONTAINER_BASE_INVALID', `${where}: base "${text}" is not usable: ${problem}`, {
    hint: 'use static, scratch, python, node, a registry reference (docker.io/library/debian:12-slim) or oci:DIR:TAG',
    ...(cause === undefined ? {} : { cause }),
  })
}
