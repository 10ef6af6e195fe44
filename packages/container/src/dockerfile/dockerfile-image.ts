import { existsSync } from 'node:fs'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import {
  CoreError,
  type ImageConfig,
  run,
  SubprocessError,
  silentReporter,
  sourceDateEpoch,
} from '@polyship/core'
import { LayoutStore } from '@polyship/oci'
import { ContainerError } from '../errors.ts'
import type { BuildImageOptions, ImageBuildInput } from '../image/assemble.ts'
import { type BuiltImage, disposerOf } from '../image/built-image.ts'
import { imageAnnotations } from '../image/runtime.ts'
import { imagePlatforms, timestamp } from '../image/settings.ts'
import { insidePath } from '../layer/image-path.ts'
import { imageTags } from '../publish/tags.ts'
import { buildWithBuildah, type DockerfileBuild, platformRef } from './buildah.ts'
import { buildWithBuildx } from './buildx.ts'
import { layoutImage } from './layout-image.ts'

export type DockerfileBackend = 'buildx' | 'buildah'

const DEFAULT_TIMEOUT_MS = 30 * 60_000
const PROBE_TIMEOUT_MS = 20_000

/**
 * The Dockerfile backend: `docker buildx build` when a daemon answers, else `buildah`
 * (daemonless, vfs, chroot isolation), else CONTAINER_BUILDER_MISSING. Each platform is
 * exported to an OCI layout in the build's temp directory and read back as a BuiltImage,
 * so tagging, attesting and publishing are the same as for assembled images.
 */
export async function dockerfileImage(
  input: ImageBuildInput,
  config: ImageConfig & { readonly dockerfile: string },
  options: BuildImageOptions = {},
): Promise<BuiltImage> {
  const { project } = input
  const where = `${relative(process.cwd(), project.manifestPath) || project.manifestPath}: polyship.image`
  const env = options.env ?? process.env
  const dockerfile = join(project.root, insidePath(config.dockerfile, `${where}.dockerfile`, project.root))
  if (!existsSync(dockerfile)) {
    throw new ContainerError(
      'CONTAINER_CONFIG_INVALID',
      `${where}.dockerfile: ${dockerfile} does not exist`,
      {
        hint: 'the Dockerfile path is relative to the project directory',
      },
    )
  }
  const context = join(project.root, insidePath(config.context ?? '.', `${where}.context`, project.root))
  const platforms = imagePlatforms(config, where)
  imageTags(project.version, config.tags)
  const epoch = sourceDateEpoch(env)
  const annotations = imageAnnotations({
    created: timestamp(epoch),
    project,
    ...(input.source === undefined ? {} : { source: input.source }),
    ...(input.revision === undefined ? {} : { revision: input.revision }),
  })
  const reporter = options.reporter ?? silentReporter
  const work = await mkdtemp(join(options.tmpDir ?? tmpdir(), 'polyship-dockerfile-'))
  const dispose = disposerOf(work)
  try {
    const backend = options.builder ?? (await detectBuilder(env))
    reporter.emit({ type: 'step', project: project.name, step: `image (${backend})`, status: 'start' })
    const build: DockerfileBuild = {
      dockerfile,
      context,
      platforms,
      epoch,
      work,
      env,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    }
    const refs = await builderFailure(backend, dockerfile, async () => {
      if (backend === 'buildah') {
        const store = new LayoutStore(await buildWithBuildah(build))
        return platforms.map((platform) => ({ platform, store, ref: platformRef(platform) }))
      }
      const layouts = await buildWithBuildx(build)
      return Promise.all(
        layouts.map(async ({ dir }, i) => ({
          platform: platforms[i]!,
          store: new LayoutStore(dir),
          ref: await firstEntry(dir),
        })),
      )
    })
    const image = await layoutImage(refs, { annotations, backend, dispose })
    reporter.emit({ type: 'step', project: project.name, step: `image (${backend})`, status: 'done' })
    return image
  } catch (error) {
    await dispose()
    throw error
  }
}

/** `buildx` when `docker info` reaches a daemon and buildx is installed, else `buildah` when installed. */
export async function detectBuilder(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<DockerfileBackend> {
  if (
    (await succeeds('docker', ['info', '--format', '{{.ServerVersion}}'], env)) &&
    (await succeeds('docker', ['buildx', 'version'], env))
  ) {
    return 'buildx'
  }
  if (await succeeds('buildah', ['--version'], env)) return 'buildah'
  throw new ContainerError(
    'CONTAINER_BUILDER_MISSING',
    'a Dockerfile image needs docker buildx with a reachable daemon, or buildah; neither was found',
    {
      hint: 'install buildah (apt-get install buildah: builds without a daemon), or start Docker with the buildx plugin; or drop polyship.image.dockerfile to let polyship assemble the image',
    },
  )
}

async function succeeds(
  command: string,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<boolean> {
  try {
    await run(command, args, { env, timeoutMs: PROBE_TIMEOUT_MS })
    return true
  } catch (error) {
    if (error instanceof CoreError) return false
    throw error
  }
}

async function builderFailure<T>(
  backend: DockerfileBackend,
  dockerfile: string,
  task: () => Promise<T>,
): Promise<T> {
  try {
    return await task()
  } catch (error) {
    if (!(error instanceof CoreError)) throw error
    const detail = error instanceof SubprocessError ? error.stderrTail : error.message
    throw new ContainerError(
      'CONTAINER_BUILD_FAILED',
      `${backend} could not build ${dockerfile}:\n${detail}`,
      {
        cause: error,
        hint:
          error.code === 'SUBPROCESS_TIMEOUT'
            ? 'the build hit its time limit; raise it (timeoutMs) or make the build faster'
            : `fix the Dockerfile; reproduce with: ${error instanceof SubprocessError ? error.command : backend}`,
      },
    )
  }
}

async function firstEntry(dir: string): Promise<string> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as {
    manifests?: { digest?: string }[]
  }
  const digest = index.manifests?.[0]?.digest
  if (digest === undefined) {
    throw new ContainerError('CONTAINER_BUILD_FAILED', `${dir}/index.json lists no image`, {
      hint: 'the builder exported nothing',
    })
  }
  return digest
}
