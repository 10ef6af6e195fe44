import { lstat, readFile } from 'node:fs/promises'
import { join, posix, relative } from 'node:path'
import { formatPlatform, type ImageConfig, silentReporter, sourceDateEpoch } from '@polyship/core'
import { parseBase } from '../base/base-reference.ts'
import { pythonSettings } from '../base/python.ts'
import { resolveBase } from '../base/resolve-base.ts'
import { ContainerError } from '../errors.ts'
import type { BuildImageOptions, ImageBuildInput } from '../image/assemble.ts'
import type { BuiltImage } from '../image/built-image.ts'
import type { HealthcheckJson } from '../image/config-json.ts'
import { baseTextOf, ImageParts, imageWorkspace } from '../image/image-parts.ts'
import { type BuiltLayer, LayerBuilder, platformLayers } from '../image/layers.ts'
import { imageAnnotations, runtimeConfig } from '../image/runtime.ts'
import {
  DEFAULT_USER,
  healthcheck,
  imagePlatforms,
  mergeEnv,
  parseUser,
  pathOf,
  timestamp,
} from '../image/settings.ts'
import { checkDuplicates } from '../layer/duplicates.ts'
import { imagePath } from '../layer/image-path.ts'
import { type LayerEntry, withLowerParents } from '../layer/layer.ts'
import { binaryEntries, projectFileEntries } from '../layer/project-files.ts'
import { imageTags } from '../publish/tags.ts'
import { baseTreeLoader } from '../rootfs/base-tree.ts'
import { checkEntrypoint, checkUser, ImageTree } from '../rootfs/checks.ts'
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
  const file = relative(process.cwd(), project.manifestPath) || project.manifestPath
  const where = `${file}: polyship.image`
  const reporter = options.reporter ?? silentReporter
  const env = options.env ?? process.env
  const epoch = sourceDateEpoch(env)
  const created = timestamp(epoch)
  const platforms = imagePlatforms(config, where)
  const node = nodeSettings(config.node, { override: input.bases?.node, where })
  const baseText = baseTextOf(
    config.base,
    { name: 'node', text: node.base, field: 'polyship.image.node.base' },
    input,
  )
  const baseWhere = `${file}: ${baseText.field}`
  const baseSpec = parseBase(baseText.text, { baseDir: baseText.baseDir, where: baseWhere })
  const user = parseUser(config.user ?? DEFAULT_USER, `${where}.user`)
  const configuredCheck =
    config.healthcheck === undefined ? undefined : healthcheck(config.healthcheck, `${where}.healthcheck`)
  imageTags(project.version, config.tags)
  const dir = imagePath(node.dir, `${where}.node.dir`)

  const { work, client, dispose } = await imageWorkspace(options, 'polyship-node-image-')
  try {
    reporter.emit({ type: 'step', project: project.name, step: 'image', status: 'start' })
    const base = await resolveBase(baseSpec, platforms, { client, where: baseWhere })
    const stage = join(work, 'deploy')
    await deployPackage(project, {
      out: stage,
      workspaceRoot: input.workspaceRoot,
      env,
      timeoutMs: options.timeoutMs,
    })
    const entry = await deployedEntry(stage, node, { project: project.name, file: project.manifestPath })
    const deployed = await deployedTree(stage, { dir, project: project.name })
    const files = config.files?.length
      ? await projectFileEntries(config.files, project.root, config.workdir ?? node.dir)
      : undefined
    const builder = new LayerBuilder({
      dir: work,
      mtime: epoch,
      gzipLevel: options.gzipLevel ?? 6,
      ...(options.layerCache === undefined ? {} : { cacheDir: options.layerCache }),
    })
    const annotations = imageAnnotations({
      created,
      project,
      ...(input.source === undefined ? {} : { source: input.source }),
      ...(input.revision === undefined ? {} : { revision: input.revision }),
    })
    const parts = new ImageParts(base, created, annotations)
    for (const [i, platform] of platforms.entries()) {
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
      const tree = new ImageTree(
        layers.map((l) => l.tree),
        base.kind === 'image' && platformBase !== undefined
          ? baseTreeLoader(base.store, platformBase.layers, { name: base.name, reporter })
          : undefined,
      )
      const baseEnv = platformBase?.config.config?.Env ?? []
      const interpreter =
        node.interpreter ??
        (await findNode(tree, pathOf(mergeEnv(baseEnv, config.env ?? {})), baseWhere, shown))
      const check = configuredCheck ?? portCheck(interpreter, config.ports)
      const runtime = runtimeConfig({
        config: {
          ...config,
          cmd: config.cmd ?? [interpreter, posix.join(node.dir, entry.path)],
          workdir: config.workdir ?? node.dir,
          env: { NODE_ENV: 'production', ...config.env },
        },
        baseKind: base.kind,
        base: platformBase,
        binaries,
        user: user.text,
        healthcheck: check,
        labels: annotations,
      })
      if (i === 0 && runtime.healthcheck === undefined) {
        reporter.emit({
          type: 'log',
          level: 'warn',
          message: `${project.name}: the Node image has no health check: set polyship.image.ports (a TCP check on the first port is added) or polyship.image.healthcheck`,
        })
      }
      await checkEntrypoint(tree, runtime.entrypoint ?? runtime.cmd, {
        path: pathOf(runtime.env),
        workdir: runtime.workdir ?? '/',
        where,
        platform: shown,
      })
      await checkUser(tree, user, `${where}.user`)

      parts.addPlatform(platform, platformBase, layers, runtime)
    }
    return {
      ...parts.finish(project.name, reporter, dispose),
      packages: deployed.packages.map((p) => ({ ecosystem: 'npm' as const, ...p })),
    }
  } catch (error) {
    await dispose()
    throw error
  }
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
