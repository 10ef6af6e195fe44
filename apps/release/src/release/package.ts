import { mkdir, rm } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { publishImage } from '@polyship/container'
import { loadWorkspace, type Project, type Reporter } from '@polyship/core'
import { LayoutStore, RegistryClient } from '@polyship/oci'
import { assembleRelease } from './assemble.ts'
import { buildConcurrency } from './build-all.ts'
import { createContext, type Env } from './context.ts'
import type { ProjectRelease } from './release-set.ts'
import type { StepRunner } from './run.ts'
import { selectProjects } from './selection.ts'
import { placeFile } from './targets.ts'
import { buildOrLoadUnits } from './whole-release.ts'

/** The projects a chart deploys: their images are assembled (not written) to wire its values. */
function withDeployed(wanted: readonly Project[], all: readonly Project[]): Project[] {
  const names = new Set(wanted.map((p) => p.name))
  for (const project of wanted) {
    const chart = project.config.chart
    for (const name of [
      ...Object.values(chart?.images ?? {}),
      ...(chart?.appVersionFrom ? [chart.appVersionFrom] : []),
    ])
      names.add(name)
  }
  return all.filter((p) => names.has(p.name))
}

/**
 * A project's package directory, written afresh. Files share the built bytes (`placeFile`:
 * a clone, else a hard link, else a copy; no second copy of each archive in dist/), which
 * is safe because polyship replaces files by rename, never writes into them.
 */
async function writePackage(release: ProjectRelease, dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  for (const file of release.files) await placeFile(file.path, join(dir, file.name))
  if (release.chart !== undefined)
    await placeFile(release.chart.chart.file, join(dir, basename(release.chart.chart.file)))
  if (release.image !== undefined) {
    await publishImage(release.image.built, new LayoutStore(join(dir, 'oci', release.image.repository)), {
      tags: release.image.tags,
    })
  }
}

/**
 * `polyship package` (the Nx target `polyship-package`): compiles (reusing this commit's
 * build units) and assembles archives, checksums, wheels, images and charts into
 * `<outDir>/package/<project>`, images as OCI layouts. Nothing is signed or published and no
 * destination or credential is needed, so pull requests can package what they change.
 */
export async function packageProjects(
  options: { readonly cwd: string; readonly only?: readonly string[]; readonly concurrency?: number },
  env: Env,
  reporter: Reporter,
  runSteps: StepRunner,
): Promise<string[]> {
  const workspace = await loadWorkspace(options.cwd)
  const wanted = selectProjects(workspace.projects, options.only ? { only: options.only } : {})
  const needed = withDeployed(wanted, workspace.projects)
  const context = await createContext(workspace, {}, env, reporter)
  const units = await buildOrLoadUnits(needed, undefined, context, runSteps, {
    concurrency: buildConcurrency(workspace.config, options.concurrency),
  })
  const client = new RegistryClient({ deps: { env: context.env } })
  let releases: ProjectRelease[] = []
  const written: string[] = []
  try {
    await runSteps([
      {
        title: 'assemble archives, images and charts',
        run: async () => {
          releases = await assembleRelease(needed, units, context, client)
        },
      },
    ])
    await runSteps(
      releases
        .filter((r) => wanted.some((p) => p.name === r.project.name))
        .map((release) => ({
          title: `package ${release.project.name} ${release.version}`,
          run: async () => {
            const dir = join(context.outDir, 'package', release.project.name)
            await writePackage(release, dir)
            written.push(dir)
          },
        })),
    )
  } finally {
    await Promise.all(releases.map((r) => r.image?.built.dispose()))
    await client.close()
  }
  return written
}
