import { type Digest, isDigest } from '@polyship/core'
import { OciError } from './errors.ts'

/** A parsed image reference `registry/repository[:tag][@digest]`, normalized as docker does. */
export interface ImageReference {
  /** Host with optional port, as written: `ghcr.io`, `localhost:5000`, `[::1]:5000`; Docker Hub is `docker.io`. */
  readonly registry: string
  /** Lowercase path, e.g. `acme/server` (`library/nginx` on Docker Hub). */
  readonly repository: string
  readonly tag?: string
  readonly digest?: Digest
}

export const DOCKER_HUB = 'docker.io'
const MAX_NAME_LENGTH = 255
const TAG = /^[\w][\w.-]{0,127}$/
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])'
const DOMAIN = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`,
)

function invalid(text: string, where: string, problem: string, hint: string): OciError {
  return new OciError(
    'OCI_REFERENCE_INVALID',
    `${where}: "${text}" is not a valid image reference: ${problem}`,
    {
      hint,
    },
  )
}

const FORMAT_HINT =
  'write references as registry/repository[:tag][@sha256:<hex>], e.g. ghcr.io/acme/server:1.2.0'

/**
 * Parses `host[:port]/repo[:tag][@digest]`. A first component without `.` or `:` (and not
 * `localhost`) is a Docker Hub path: `nginx` becomes `docker.io/library/nginx`.
 * `where` names the field or file the text came from, for the error message.
 */
export function parseReference(text: string, where = 'reference'): ImageReference {
  if (text === '' || /\s/.test(text)) throw invalid(text, where, 'empty or contains whitespace', FORMAT_HINT)
  const at = text.indexOf('@')
  const digestText = at === -1 ? undefined : text.slice(at + 1)
  const nameAndTag = at === -1 ? text : text.slice(0, at)
  if (digestText !== undefined && !isDigest(digestText)) {
    throw invalid(
      text,
      where,
      `"${digestText}" is not a sha256 digest`,
      'a digest is sha256: followed by 64 lowercase hex characters (only sha256 is supported)',
    )
  }
  const colon = nameAndTag.lastIndexOf(':')
  const hasTag = colon > nameAndTag.lastIndexOf('/')
  const name = hasTag ? nameAndTag.slice(0, colon) : nameAndTag
  const tag = hasTag ? nameAndTag.slice(colon + 1) : undefined
  const { registry, repository } = splitName(name, text, where)
  if (tag !== undefined) checkTag(tag, `${where}: tag of "${text}"`)
  return {
    registry,
    repository,
    ...(tag === undefined ? {} : { tag }),
    ...(digestText === undefined ? {} : { digest: digestText as Digest }),
  }
}

function splitName(name: string, text: string, where: string): { registry: string; repository: string } {
  const slash = name.indexOf('/')
  const first = slash === -1 ? name : name.slice(0, slash)
  const isDomain =
    slash !== -1 &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())
  let registry = isDomain ? first : DOCKER_HUB
  let repository = isDomain ? name.slice(slash + 1) : name
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = DOCKER_HUB
  if (!DOMAIN.test(registry)) {
    throw invalid(
      text,
      where,
      `"${registry}" is not a registry host`,
      'a registry is a host name or IP with optional :port',
    )
  }
  if (repository === '') throw invalid(text, where, 'the repository is empty', FORMAT_HINT)
  if (repository !== repository.toLowerCase()) {
    throw invalid(
      text,
      where,
      `repository "${repository}" must be lowercase`,
      `use "${repository.toLowerCase()}": OCI repository names allow only lowercase letters, digits and . _ - /`,
    )
  }
  const bad = repository.split('/').find((component) => !PATH_COMPONENT.test(component))
  if (bad !== undefined) {
    throw invalid(
      text,
      where,
      `repository component "${bad}" is not allowed`,
      'each /-separated component is lowercase letters and digits, joined by single . _ __ or runs of -',
    )
  }
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`
  if (registry.length + 1 + repository.length > MAX_NAME_LENGTH) {
    throw invalid(
      text,
      where,
      `the name is longer than ${MAX_NAME_LENGTH} characters`,
      'use a shorter repository path',
    )
  }
  return { registry, repository }
}

function checkTag(tag: string, where: string): void {
  if (TAG.test(tag)) return
  const plus = tag.includes('+')
  throw new OciError('OCI_REFERENCE_INVALID', `${where}: "${tag}" is not a valid tag`, {
    hint: plus
      ? `tags cannot contain "+"; write "${tag.replaceAll('+', '_')}" (Helm and polyship map + to _, see versionTag())`
      : 'a tag is 1-128 characters of letters, digits, _ . and -, not starting with . or -',
  })
}

/** Validates a tag on its own; returns it unchanged. */
export function parseTag(tag: string, where = 'tag'): string {
  checkTag(tag, where)
  return tag
}

/** The tag for a version: SemVer build metadata `+` becomes `_`, as Helm does for OCI charts. */
export function versionTag(version: string): string {
  return parseTag(version.replaceAll('+', '_'), `version "${version}"`)
}

/** `registry/repository[:tag][@digest]`, the canonical form parseReference accepts back. */
export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`
}
