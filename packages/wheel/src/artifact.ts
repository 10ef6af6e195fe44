import type { Artifact, Platform, Project } from '@polyship/core'
import type { Distribution } from './inspect/distribution.ts'
import { normalizeName } from './names.ts'

const ARCHITECTURES: Readonly<Record<string, string>> = {
  x86_64: 'amd64',
  amd64: 'amd64',
  aarch64: 'arm64',
  arm64: 'arm64',
  i686: '386',
  armv7l: 'arm',
  ppc64le: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
}

/** The platform of a wheel platform tag (`manylinux_2_17_x86_64` -> linux/amd64); undefined for `any`. */
export function platformOfTag(tag: string): Platform | undefined {
  const os = /^(many|musl)?linux/.test(tag)
    ? 'linux'
    : tag.startsWith('macosx')
      ? 'darwin'
      : tag.startsWith('win')
        ? 'windows'
        : undefined
  if (os === undefined) return undefined
  const suffix = Object.keys(ARCHITECTURES).find((a) => tag.endsWith(`_${a}`))
  const arch = tag === 'win32' ? '386' : suffix === undefined ? undefined : ARCHITECTURES[suffix]
  if (arch === undefined) return undefined
  return arch === 'arm' ? { os, architecture: arch, variant: 'v7' } : { os, architecture: arch }
}

/**
 * The release-model artifact of a built file. `extra` carries what the SBOM step needs:
 * the Python distribution name and version, tags, requires-dist, requires-python.
 */
export function distributionArtifact(distribution: Distribution, project: Project): Artifact {
  const platform = distribution.tags
    .map((tag) => platformOfTag(tag.split('-')[2]!))
    .find((p): p is Platform => p !== undefined)
  return {
    kind: distribution.kind,
    name: distribution.filename,
    project: project.name,
    version: project.version,
    ...(platform === undefined ? {} : { platform }),
    path: distribution.path,
    digest: distribution.digest,
    size: distribution.size,
    mediaType: distribution.kind === 'wheel' ? 'application/zip' : 'application/gzip',
    extra: {
      distribution: distribution.name,
      pythonVersion: distribution.version,
      tags: distribution.tags,
      requiresDist: distribution.metadata.requiresDist,
      ...(distribution.metadata.requiresPython === undefined
        ? {}
        : { requiresPython: distribution.metadata.requiresPython }),
      ...(distribution.metadata.licenseExpression === undefined
        ? {}
        : { license: distribution.metadata.licenseExpression }),
      purl: `pkg:pypi/${normalizeName(distribution.name)}@${distribution.version}?file_name=${encodeURIComponent(distribution.filename)}`,
    },
  }
}
