import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { formatPlatform, run } from '@polyship/core'
import { type DockerfileBuild, platformRef } from './buildah.ts'

/**
 * Builds with `docker buildx build` against a reachable daemon: one build per platform,
 * exported as an OCI tarball (`--output type=oci`, no provenance/SBOM attestation manifests:
 * polyship attests on its own), SOURCE_DATE_EPOCH passed through for BuildKit's
 * reproducible timestamps, then unpacked into `<work>/layout-<platform>`. Returns each
 * platform's layout directory (its index.json lists the one image built).
 */
export async function buildWithBuildx(build: DockerfileBuild): Promise<{ dir: string }[]> {
  const env = { ...build.env, SOURCE_DATE_EPOCH: String(build.epoch), DOCKER_BUILDKIT: '1' }
  const out: { dir: string }[] = []
  for (const platform of build.platforms) {
    const ref = platformRef(platform)
    const tarball = join(build.work, `buildx-${ref}.tar`)
    const dir = join(build.work, `layout-${ref}`)
    await run(
      'docker',
      [
        'buildx',
        'build',
        '--platform',
        formatPlatform(platform),
        '--provenance=false',
        '--sbom=false',
        '--build-arg',
        `SOURCE_DATE_EPOCH=${build.epoch}`,
        '--output',
        `type=oci,dest=${tarball},name=polyship-build:${ref}`,
        '-f',
        build.dockerfile,
        build.context,
      ],
      { env, timeoutMs: build.timeoutMs, cwd: build.context },
    )
    await mkdir(dir, { recursive: true })
    await run('tar', ['-xf', tarball, '-C', dir], { timeoutMs: build.timeoutMs })
    out.push({ dir })
  }
  return out
}
