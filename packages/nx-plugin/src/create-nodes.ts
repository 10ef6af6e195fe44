import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { CreateNodesV2 as CreateNodes, CreateNodesResult } from '@nx/devkit'
import { parseProjectManifest, parseRootConfig, ROOT_CONFIG_FILE } from '@polyship/core'
import { goEmbedInputs } from './go-embed.ts'
import type { EnclosingRoots } from './inputs.ts'
import { type PolyshipPluginOptions, type PolyshipProject, projectTargets } from './targets.ts'

interface Manifest {
  readonly file: string
  readonly json: Record<string, unknown>
}

/**
 * Nx plugin entry: every package.json with a `polyship` field gets `polyship-build`
 * (binaries, wheels) and `polyship-package` (archives, images, charts) targets whose
 * inputs are the files its artifacts are made of, so `nx affected` selects exactly the
 * projects a change reaches and the Nx cache skips the rest.
 */
export const createNodes: CreateNodes<PolyshipPluginOptions> = [
  '**/package.json',
  async (files, options, context) => {
    const manifests = await Promise.all(
      files.map(async (file): Promise<Manifest> => {
        const json = JSON.parse(await readFile(join(context.workspaceRoot, file), 'utf8')) as Record<
          string,
          unknown
        >
        return { file, json }
      }),
    )
    const projects = new Map<string, PolyshipProject>()
    for (const { file, json } of manifests) {
      if (json.polyship === undefined) continue
      const { name, config } = parseProjectManifest(json, file)
      const dependencies = Object.keys({
        ...(json.dependencies as object),
        ...(json.devDependencies as object),
      })
      const embedded =
        config.binary?.toolchain === 'go'
          ? await goEmbedInputs(join(context.workspaceRoot, dirname(file)))
          : []
      const roots = await enclosingRoots(context.workspaceRoot, dirname(file), config.binary?.toolchain)
      projects.set(file, { name, config, dependencies, embedded, roots })
    }
    const releasable = new Set([...projects.values()].map((p) => p.name))
    const outDir = await readOutDir(context.workspaceRoot)
    return [...projects].map(([file, project]): readonly [string, CreateNodesResult] => {
      const { targets, namedInputs } = projectTargets(project, releasable, outDir, options ?? {})
      return [file, { projects: { [dirname(file)]: { targets, namedInputs } } }]
    })
  },
]

/** The output directory of polyship.json (default `dist`). */
async function readOutDir(workspaceRoot: string): Promise<string> {
  const file = join(workspaceRoot, ROOT_CONFIG_FILE)
  if (!existsSync(file)) return 'dist'
  const config = parseRootConfig(JSON.parse(await readFile(file, 'utf8')), ROOT_CONFIG_FILE)
  return (config.outDir ?? 'dist').replace(/^\.\//, '').replace(/\/$/, '')
}

/**
 * The Go module (nearest go.mod) or Cargo workspace (nearest Cargo.toml with [workspace])
 * above a project directory, inside the workspace, when the project is not its root.
 */
async function enclosingRoots(
  workspaceRoot: string,
  projectDir: string,
  toolchain: 'go' | 'rust' | undefined,
): Promise<EnclosingRoots> {
  if (toolchain === undefined) return {}
  const parents: string[] = []
  for (let dir = projectDir; dir !== '.' && dir !== '' && dir !== '/'; ) {
    dir = dirname(dir)
    parents.push(dir === '.' ? '' : dir)
    if (dir === '.') break
  }
  if (toolchain === 'go') {
    if (existsSync(join(workspaceRoot, projectDir, 'go.mod'))) return {}
    const found = parents.find((dir) => existsSync(join(workspaceRoot, dir, 'go.mod')))
    return found === undefined ? {} : { goModule: found }
  }
  for (const dir of parents) {
    const manifest = join(workspaceRoot, dir, 'Cargo.toml')
    if (existsSync(manifest) && /^\s*\[workspace\]/m.test(await readFile(manifest, 'utf8')))
      return { cargoWorkspace: dir }
  }
  return {}
}
