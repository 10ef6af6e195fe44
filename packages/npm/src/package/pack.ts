import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { run } from '@polyship/core'
import { NpmError } from '../errors.ts'
import { parsePackageName, tarballFileName } from './name.ts'
import { inspectTarball, type NpmTarball } from './tarball.ts'

export interface PackOptions {
  /** Where the tarball is written, as `<name>-<version>.tgz`. */
  readonly outDir: string
  /** The release's name and version: the packed manifest must carry them. */
  readonly name: string
  readonly version: string
  readonly env?: Readonly<Record<string, string | undefined>>
  /** The pnpm command (default `pnpm` on PATH). */
  readonly pnpm?: string
}

/**
 * Packs a workspace package exactly as `pnpm pack` does (workspace: and catalog: ranges
 * resolved, `files`/.npmignore and publishConfig applied, prepack/prepare/postpack run)
 * and inspects the result.
 *
 * Reproducibility: pnpm writes every entry with npm's fixed mtime (1985-10-26), uid/gid 0
 * and modes 0644/0755, in a stable order, so the same sources give the same bytes in any
 * directory and at any time; SOURCE_DATE_EPOCH is not read (nor needed). The gzip stream
 * comes from the Node that runs pnpm, which the project pins.
 */
export async function packPackage(dir: string, options: PackOptions): Promise<NpmTarball> {
  const name = parsePackageName(options.name, `${dir}/package.json: name`)
  await mkdir(options.outDir, { recursive: true })
  const out = join(options.outDir, tarballFileName(name, options.version))
  await rm(out, { force: true })
  const { stdout } = await run(options.pnpm ?? 'pnpm', ['pack', '--json', '--out', out], {
    cwd: dir,
    ...(options.env === undefined ? {} : { env: options.env }),
    timeoutMs: 10 * 60_000,
  })
  const reported = packedFile(stdout)
  if (reported !== undefined && reported !== out) {
    throw new NpmError('NPM_PACK_FAILED', `pnpm pack in ${dir} wrote ${reported}, not ${out}`, {
      hint: 'check the pnpm version (polyship needs `pnpm pack --out`, pnpm 9 or later)',
    })
  }
  return inspectTarball(out, { name, version: options.version })
}

/** The `filename` pnpm pack --json reports (lifecycle scripts may print before the JSON). */
function packedFile(stdout: string): string | undefined {
  const start = stdout.indexOf('{')
  if (start === -1) return undefined
  try {
    const parsed = JSON.parse(stdout.slice(start)) as { filename?: unknown }
    return typeof parsed.filename === 'string' ? parsed.filename : undefined
  } catch (error) {
    if (error instanceof SyntaxError) return undefined
    throw error
  }
}
