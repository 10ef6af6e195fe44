import { lstat, readFile } from 'node:fs/promises'
import { join, posix } from 'node:path'
import { formatPlatform, type ImageConfig } from '@polyship/core'
import { pythonSettings } from '../base/python.ts'
import { ContainerError } from '../errors.ts'
import type { BuildImageOptions, ImageBuildInput } from '../image/assemble.ts'
import type { BuiltImage } from '../image/built-image.ts'
import type { HealthcheckJson } from '../image/config-json.ts'
import { assembleWith, imageSettings, imageWhere } from '../image/image-build.ts'
import { type BuiltLayer, platformLayers } from '../image/layers.ts'
import { healthcheck, mergeEnv, pathOf } from '../image/settings.ts'
import { checkDuplicates } from '../layer/duplicates.ts'
import { imagePath } from '../layer/image-path.ts'
import { type LayerEntry, withLowerParents } from '../layer/layer.ts'
import { binaryEntries, projectFileEntries } from '../layer/project-files.ts'
import type { ImageTree } from '../rootfs/checks.ts'
import { deployPackage } from './deploy.ts'
import { checkAddons, deployedTree } from './deployed-tree.ts'
import { type NodeEntry, nodeEntry } from './entry.ts'
import { type NodeSettings, nodeSettings } from './node-settings.ts'

/**
 * A Node.js server image, assembled without a daemon: the project deployed by pnpm with its
 * production dependencies only, under `node.dir` (`/app`) in two layers (node_modules, then
 * the package's own files, so a code change reuses the dependency layer), on the `node`
 * base (or any base with node on its PATH). Cmd `[<node>, /app/<entry>]`, NODE_ENV=production,
 * working directory /app, user 65532, and a TCP health check on the first port unless one is
 * configured. The same tree goes into every platform; native addons must fit each one.
 */
export async function nodeImage(
  input: ImageBuildInput,
  config: ImageConfig,
  options: BuildImageOptions = {},
): Promise<BuiltImage> {
  const { project } = input
  const { where } = imageWhere(input)
  const node = nodeSettings(config.node, { override: input.bases?.node, where })
  const settings = imageSettings(input, config, {
    ...options,
    alias: { name: 'node', text: node.base, field: 'polyship.image.node.base' },
  })
  const { reporter } = settings
  const configuredCheck =
    config.healthcheck === undefined ? undefined : healthcheck(config.healthcheck, `${where}.healthcheck`)
  const dir = imagePath(node.dir, `${where}.node.dir`)

  return assembleWith(input, settings, { ...options, prefix: 'polyship-node-image-' }, async (image) => {
    const { base, builder, parts } = image
    const stage = join(image.work, 'deploy')
    await deployPackage(project, {
      out: stage,
      workspaceRoot: input.workspaceRoot,
      env: settings.env,
      timeoutMs: options.timeoutMs,
    })
    const entry = await deployedEntry(stage, node, { project: project.name, file: project.manifestPath })
    const deployed = await deployedTree(stage, { dir, project: project.name })
    const files = config.files?.length
      ? await projectFileEntries(config.files, project.root, config.workdir ?? node.dir)
      : undefined
    for (const [i, platform] of settings.platforms.entries()) {
      const shown = formatPlatform(platform)
      checkAddons(deployed, platform, where)
      const platformBase = base.kind === 'image' ? base.platforms[i] : undefined
      const binaries = binaryEntries(input.artifacts ?? [], platform, config.binaryDir ?? '/usr/local/bin')
      checkDuplicates(
        [deployed.dependencies, deployed.app, ...(files === undefined ? [] : [files]), binaries],
        shown,
      )
      const layers = await platformLayers(builder, {
        platform,
        staticBase: base.kind === 'static',
        files,
        wheels: [],
        binaries,
        python: pythonSettings(undefined),
      })
      const lower = new Map<string, LayerEntry>()
      for (const { layer } of layers) for (const e of layer.entries) lower.set(e.path, e)
      for (const [key, set, createdBy] of [
        ['node:dependencies', deployed.dependencies, `polyship: production dependencies of ${project.name}`],
        ['node:app', deployed.app, `polyship: ${project.name} deployed into ${node.dir}`],
      ] as const) {
        const built: BuiltLayer = await builder.layer(
          key,
          () => withLowerParents(set.entries, lower),
          createdBy,
        )
        layers.push(built)
        for (const e of built.layer.entries) lower.set(e.path, e)
      }
      const tree = image.tree(platformBase, layers)
      const baseEnv = platformBase?.config.config?.Env ?? []
      const interpreter =
        node.interpreter ??
        (await findNode(tree, pathOf(mergeEnv(baseEnv, config.env ?? {})), settings.base.where, shown))
      const check = configuredCheck ?? portCheck(interpreter, config.ports)
      const runtime = image.runtime(platformBase, {
        config: {
          ...config,
          cmd: config.cmd ?? [interpreter, posix.join(node.dir, entry.path)],
          workdir: config.workdir ?? node.dir,
          env: { NODE_ENV: 'production', ...config.env },
        },
        binaries,
        healthcheck: check,
      })
      if (i === 0 && runtime.healthcheck === undefined) {
        reporter.emit({
          type: 'log',
          level: 'warn',
          message: `${project.name}: the Node image has no health check: set polyship.image.ports (a TCP check on the first port is added) or polyship.image.healthcheck`,
        })
      }
      await image.checkRuntime(tree, runtime, platform)

      parts.addPlatform(platform, platformBase, layers, runtime)
    }
    return deployed.packages.map((p) => ({ ecosystem: 'npm' as const, ...p }))
  })
}

/** The entry point named by config or the deployed package.json, which must be a file of the deployed tree. */
async function deployedEntry(
  stage: string,
  node: NodeSettings,
  context: { readonly project: string; readonly file: string },
): Promise<NodeEntry> {
  const manifest = JSON.parse(await readFile(join(stage, 'package.json'), 'utf8')) as Record<string, unknown>
  const entry = nodeEntry(manifest, { ...context, configured: node.entry })
  const info = await lstat(join(stage, entry.path)).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined
    throw error
  })
  if (info?.isFile() !== true) {
    throw new ContainerError(
      'CONTAINER_NODE_ENTRY_MISSING',
      `${context.file}: ${entry.field} of ${context.project} names ${entry.path}, which is not a file of the deployed package`,
      {
        hint: 'build the package before the image (the entry must exist), and check that package.json "files" includes it: pnpm deploy copies what pnpm pack would',
        source: { file: context.file },
      },
    )
  }
  return entry
}

/** The first executable `node` on the image's PATH: /usr/local/bin/node in the official images, /usr/bin/node in Debian's. */
async function findNode(tree: ImageTree, path: string, where: string, platform: string): Promise<string> {
  for (const dir of path.split(':').filter((d) => d.startsWith('/'))) {
    const candidate = posix.join(dir, 'node')
    const found = await tree.find(candidate)
    if (found?.entry.type === 'file' && (found.entry.mode & 0o111) !== 0) return candidate
  }
  throw new ContainerError(
    'CONTAINER_ENTRYPOINT_MISSING',
    `${where}: the ${platform} base has no node on PATH ${path}`,
    {
      hint: 'use a Node base (base "node", docker.io/library/node:24-slim) or set polyship.image.node.interpreter',
    },
  )
}

/** Healthy while something accepts TCP connections on the first port, checked by the image's own node. */
function portCheck(interpreter: string, ports: readonly number[] | undefined): HealthcheckJson | undefined {
  const port = ports?.[0]
  if (port === undefined) return undefined
  const script = `require('net').connect(${port},'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))`
  return { Test: ['CMD', interpreter, '-e', script] }
}
