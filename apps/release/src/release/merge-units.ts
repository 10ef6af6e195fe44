import { join } from 'node:path'
import { goPlatforms } from '@polyship/binary'
import { formatPlatform, type Project, parsePlatform, platformsOf } from '@polyship/core'
import { inspectTarball, resolvedDependencies } from '@polyship/npm'
import { inspectDistribution } from '@polyship/wheel'
import { DEFAULT_BINARY_PLATFORMS } from '../plan.ts'
import type { LoadedUnit, UnitBinary } from './build-unit.ts'
import { binaryComponent, npmComponents, npmPurl, wheelComponents } from './components.ts'
import type { ReleaseContext } from './context.ts'
import { ReleaseError } from './errors.ts'
import type { ReleaseFile } from './release-set.ts'
import { compilesFormat } from './selection.ts'

export interface ProjectUnits {
  readonly binaries: (UnitBinary & { readonly name: string; readonly absolute: string })[]
  readonly files: ReleaseFile[]
  readonly skipped: { what: string; reason: string }[]
  readonly toolchains: Record<string, string>
  binaryName?: string
}

/**
 * Merges the units of one project (one per shard that built it), refusing units of another
 * commit or version, two different builds of the same file, and platforms no shard built.
 */
export async function mergeUnits(
  project: Project,
  units: readonly LoadedUnit[],
  context: ReleaseContext,
): Promise<ProjectUnits> {
  const version = context.versionOf(project)
  const merged: ProjectUnits = { binaries: [], files: [], skipped: [], toolchains: {} }
  const seen = new Map<string, string>()
  const once = (key: string, digest: string, dir: string) => {
    const before = seen.get(key)
    if (before !== undefined && before !== digest) {
      throw new ReleaseError(
        'RELEASE_MERGE_INVALID',
        `${project.name}: two builds of ${key} differ (${before} in one shard, ${digest} in ${dir})`,
        {
          hint: 'every shard must build the same commit with the same SOURCE_DATE_EPOCH',
        },
      )
    }
    seen.set(key, digest)
    return before === undefined
  }
  for (const { dir, unit } of units) {
    if (unit.version !== version || unit.commit !== context.commit) {
      throw new ReleaseError(
        'RELEASE_MERGE_INVALID',
        `${dir}: built ${project.name} ${unit.version} at commit ${unit.commit.slice(0, 12) || '(none)'}, this release is ${version} at ${context.commit.slice(0, 12) || '(none)'}`,
        {
          hint: 'merge shards built from the same commit as the merge job, with the same version',
        },
      )
    }
    Object.assign(merged.toolchains, unit.toolchains)
    merged.skipped.push(...unit.skipped)
    if (unit.binaryName !== undefined) merged.binaryName = unit.binaryName
    for (const binary of unit.binaries) {
      const name = binary.name ?? unit.binaryName ?? project.name
      if (once(`binary ${name} ${binary.platform}`, binary.digest, dir))
        merged.binaries.push({ ...binary, name, absolute: join(dir, binary.path) })
    }
    for (const archive of unit.archives) {
      if (!once(archive.name, archive.digest, dir)) continue
      const inArchive = unit.binaries.filter((b) => b.platform === archive.platform)
      merged.files.push({
        kind: 'archive',
        name: archive.name,
        path: join(dir, archive.path),
        digest: archive.digest,
        size: archive.size,
        platform: archive.platform,
        sbom: {
          subject: {
            kind: 'archive',
            name: archive.name,
            version,
            digest: archive.digest,
            platform: parsePlatform(archive.platform),
          },
          components: inArchive.map((binary) =>
            binaryComponent({
              name: binary.name ?? unit.binaryName ?? project.name,
              version,
              digest: binary.digest,
              dependencies: binary.dependencies,
            }),
          ),
        },
      })
    }
    for (const file of unit.distributions) {
      if (!once(file.filename, file.digest, dir)) continue
      const distribution = await inspectDistribution(join(dir, file.path))
      merged.files.push({
        kind: file.kind,
        name: file.filename,
        path: distribution.path,
        digest: distribution.digest,
        size: distribution.size,
        distribution,
        sbom: {
          subject: {
            kind: file.kind,
            name: file.filename,
            version: distribution.version,
            digest: distribution.digest,
            purl: `pkg:pypi/${distribution.name.toLowerCase()}@${distribution.version}`,
          },
          components: await wheelComponents(distribution.metadata.requiresDist, project.root),
        },
      })
    }
    for (const file of unit.tarballs ?? []) {
      if (!once(file.filename, file.digest, dir)) continue
      const tarball = await inspectTarball(join(dir, file.path))
      if (tarball.digest !== file.digest) {
        throw new ReleaseError('RELEASE_MERGE_INVALID', `${tarball.path} changed since ${dir} was built`, {
          hint: 'build the project again (polyship release rebuilds units whose files changed)',
        })
      }
      const dependencies = await resolvedDependencies({
        workspaceRoot: context.workspace.root,
        projectDir: project.root,
        manifest: tarball.manifest,
      })
      merged.files.push({
        kind: 'npm',
        name: file.filename,
        path: tarball.path,
        digest: tarball.digest,
        size: tarball.size,
        tarball,
        sbom: {
          subject: {
            kind: 'npm',
            name: file.filename,
            version: tarball.version.text,
            digest: tarball.digest,
            purl: npmPurl(tarball.name, tarball.version.text),
          },
          components: npmComponents(dependencies),
        },
      })
    }
  }
  assertPlatformsBuilt(project, merged, context)
  return merged
}

/** Every configured platform of a compiled binary was built or skipped (with its reason) by some shard. */
function assertPlatformsBuilt(project: Project, merged: ProjectUnits, context: ReleaseContext): void {
  const config = project.config.binary
  if (config === undefined || !compilesFormat(project, 'binary', context.skip)) return
  const missing = goPlatforms(config, platformsOf(config, DEFAULT_BINARY_PLATFORMS))
    .map((p) => formatPlatform(p.platform))
    .filter(
      (platform) =>
        !merged.binaries.some((b) => b.platform === platform) &&
        !merged.skipped.some((s) => s.what === `binary ${platform}`),
    )
  if (missing.length > 0) {
    throw new ReleaseError('RELEASE_MERGE_INVALID', `${project.name}: no shard built ${missing.join(', ')}`, {
      hint: 'pass the shards of every split job to --merge (one per --platform or --shard of the matrix)',
    })
  }
  if (merged.binaries.length === 0) {
    const reasons = merged.skipped.map((s) => `  ${s.what}: ${s.reason}`).join('\n')
    throw new ReleaseError(
      'RELEASE_MERGE_INVALID',
      `${project.name}: no shard could build any of its platforms:\n${reasons}`,
      {
        hint: 'build each platform on a runner that has its toolchain (a native runner, or the target installed)',
      },
    )
  }
}

/**
 * The projects a `--merge` releases: the selected ones (all, or `--only`), each of which
 * must have been built by some shard, so a missing split job stops the merge instead of
 * quietly releasing less.
 */
export function projectsWithUnits(projects: readonly Project[], units: readonly LoadedUnit[]): Project[] {
  const missing = projects.filter((p) => !units.some((u) => u.unit.project === p.name))
  if (missing.length > 0) {
    throw new ReleaseError(
      'RELEASE_MERGE_INVALID',
      `no shard built ${missing.map((p) => p.name).join(', ')}`,
      {
        hint: 'pass the shards of every split job to --merge, or name the projects to release with --only',
      },
    )
  }
  return [...projects]
}
