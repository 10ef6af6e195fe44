import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isPolyshipError, type Project, run } from '@polyship/core'
import { ContainerError } from '../errors.ts'

/**
 * What `pnpm deploy` writes beside the package that only pnpm reads: its install state
 * (absolute paths of the workspace and the store, the time of the run), the deploy's own
 * lockfile and workspace file (with `file:///<workspace>/...` specs). None of it is needed to
 * run the package, and all of it would make the image differ by checkout path and time.
 */
const PNPM_STATE = [
  'node_modules/.modules.yaml',
  'node_modules/.pnpm-workspace-state-v1.json',
  'node_modules/.pnpm',
  'pnpm-lock.yaml',
  'pnpm-workspace.yaml',
]

const DEPENDENCY_FIELDS = ['dependencies', 'optionalDependencies', 'peerDependencies', 'devDependencies']

/**
 * Deploys a workspace package into `out` with its production dependencies only, as
 * `pnpm --filter <name> deploy --prod` does (workspace dependencies copied in, files as
 * `files`/.npmignore say), with `node-linker=hoisted`: real directories in one flat
 * node_modules, as npm lays them out, instead of symlinks into a `.pnpm` virtual store
 * whose directory names carry the workspace's absolute path. pnpm's own state is then
 * removed, and `file:` specs pnpm wrote into the deployed package.json for workspace
 * dependencies are replaced by the versions deployed, so that the tree depends only on
 * the sources and the lockfile.
 */
export async function deployPackage(
  project: Pick<Project, 'name' | 'root' | 'manifestPath'>,
  options: {
    readonly out: string
    readonly workspaceRoot?: string | undefined
    readonly env?: Readonly<Record<string, string | undefined>> | undefined
    readonly timeoutMs?: number | undefined
  },
): Promise<void> {
  const args = [
    `--filter=${project.name}`,
    'deploy',
    '--prod',
    '--prefer-offline',
    '--config.node-linker=hoisted',
    options.out,
  ]
  try {
    await run('pnpm', args, {
      cwd: options.workspaceRoot ?? project.root,
      ...(options.env === undefined ? {} : { env: options.env }),
      timeoutMs: options.timeoutMs ?? 30 * 60_000,
    })
  } catch (cause) {
    if (!isPolyshipError(cause)) throw cause
    throw new ContainerError(
      'CONTAINER_NODE_DEPLOY_FAILED',
      `${project.manifestPath}: pnpm deploy of ${project.name} for its Node image failed: ${cause.message}`,
      {
        cause,
        hint: 'run `pnpm install` in the workspace first (the deploy follows its lockfile); the package must be a member of pnpm-workspace.yaml',
      },
    )
  }
  await Promise.all(PNPM_STATE.map((path) => rm(join(options.out, path), { recursive: true, force: true })))
  await restoreDependencySpecs(options.out)
}

async function restoreDependencySpecs(out: string): Promise<void> {
  const file = join(out, 'package.json')
  const manifest = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
  let changed = false
  for (const field of DEPENDENCY_FIELDS) {
    const deps = manifest[field]
    if (typeof deps !== 'object' || deps === null) continue
    for (const [name, spec] of Object.entries(deps as Record<string, unknown>)) {
      if (typeof spec !== 'string' || !/^(?:[^:]*@)?(?:file|link):/.test(spec)) continue
      const deployed = await readFile(join(out, 'node_modules', name, 'package.json'), 'utf8').catch(
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return undefined
          throw error
        },
      )
      const version =
        deployed === undefined ? undefined : (JSON.parse(deployed) as { version?: unknown }).version
      ;(deps as Record<string, unknown>)[name] = typeof version === 'string' ? version : '*'
      changed = true
    }
  }
  if (changed) await writeFile(file, `${JSON.stringify(manifest, null, 2)}\n`)
}
