import { assertNever, type Project } from '@polyship/core'
import { BinaryError } from './errors.ts'
import { buildGoBinaries } from './go/build.ts'
import { packageBinaries } from './package/archives.ts'
import type { BinaryBuild, BinaryPackages } from './result.ts'
import { buildRustBinaries, type RustBuildOptions } from './rust/build.ts'

/** A project's binaries with their archives and checksums. */
export interface BinaryRelease extends BinaryBuild, BinaryPackages {}

/**
 * Builds a project's binaries with the toolchain its `polyship.binary` names, then
 * archives them and writes the checksums file, all under `options.outDir`.
 */
export async function buildBinaryRelease(
  project: Project,
  options: RustBuildOptions,
): Promise<BinaryRelease> {
  const toolchain = project.config.binary?.toolchain
  let build: BinaryBuild
  switch (toolchain) {
    case 'go':
      build = await buildGoBinaries(project, options)
      break
    case 'rust':
      build = await buildRustBinaries(project, options)
      break
    case undefined:
      throw new BinaryError(
        'BINARY_PROJECT_INVALID',
        `${project.manifestPath} has no polyship.binary section`,
        {
          hint: 'add "polyship": { "binary": { "toolchain": "go" } } (or "rust") to package.json',
        },
      )
    default:
      return assertNever(toolchain, 'toolchain')
  }
  const packages = await packageBinaries(project, build, {
    outDir: options.outDir,
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.reporter === undefined ? {} : { reporter: options.reporter }),
  })
  return { ...build, ...packages }
}
