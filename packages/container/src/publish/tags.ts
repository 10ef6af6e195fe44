import { isPolyshipError, parseSemver } from '@polyship/core'
import { parseTag, versionTag } from '@polyship/oci'
import { ContainerError } from '../errors.ts'

/** A tag to point at a published image. */
export interface ImageTag {
  readonly tag: string
  /** False for the version tag: it is immutable, a different image under it is a conflict. */
  readonly moving: boolean
}

/** A configured tag not applied, and why. */
export interface SkippedTag {
  readonly template: string
  readonly reason: string
}

const PLACEHOLDER = /\{(version|major|minor|patch)\}/g

/**
 * The tags of a release: the version first (immutable, `+` written `_`), then the configured
 * ones in order, expanded: `latest`, `{major}.{minor}`, `{major}`, `{version}`, or any
 * literal. Tags that follow the newest release (`latest` and those built from
 * major/minor/patch) are skipped for pre-releases, so `1.3.0-rc.1` never moves `1.3` or
 * `latest`.
 */
export function imageTags(
  version: string,
  templates: readonly string[] = [],
): { tags: ImageTag[]; skipped: SkippedTag[] } {
  const semver = parseSemver(version)
  const prerelease = semver?.prerelease !== undefined
  const tags: ImageTag[] = [{ tag: versionTag(version), moving: false }]
  const skipped: SkippedTag[] = []
  for (const [i, template] of templates.entries()) {
    const where = `polyship.image.tags[${i}]`
    const followsRelease = template === 'latest' || /\{(major|minor|patch)\}/.test(template)
    if (prerelease && followsRelease) {
      skipped.push({
        template,
        reason: `${version} is a pre-release; ${template} follows stable releases only`,
      })
      continue
    }
    if (semver === undefined && /\{(major|minor|patch)\}/.test(template)) {
      throw new ContainerError(
        'CONTAINER_CONFIG_INVALID',
        `${where}: "${template}" needs a SemVer version, not "${version}"`,
        {
          hint: 'use {version} or literal tags, or give the project a SemVer version',
        },
      )
    }
    const expanded = template.replace(PLACEHOLDER, (_, key: string) =>
      key === 'version' ? version : (semver?.[key as 'major' | 'minor' | 'patch'] ?? ''),
    )
    let tag: string
    try {
      tag = parseTag(expanded.replaceAll('+', '_'), where)
    } catch (cause) {
      throw new ContainerError(
        'CONTAINER_CONFIG_INVALID',
        `${where}: "${template}" gives "${expanded}", not a valid tag`,
        {
          cause,
          hint: isPolyshipError(cause) ? (cause.hint ?? '') : 'tags are letters, digits, _ . -',
        },
      )
    }
    if (tags.some((t) => t.tag === tag)) continue
    tags.push({ tag, moving: !template.includes('{version}') })
  }
  return { tags, skipped }
}
