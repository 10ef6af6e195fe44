import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { formatPlatform, type Platform, run } from '@polyship/core'

/** One Dockerfile build as the backends see it. */
export interface DockerfileBuild {
  readonly dockerfile: string
  readonly context: string
  readonly platforms: readonly Platform[]
  /** SOURCE_DATE_EPOCH: passed as a build arg and pins timestamps where the builder can. */
  readonly epoch: number
  /** The build's temp directory: builder state and the exported layout live here. */
  readonly work: string
  readonly env: Readonly<Record<string, string | undefined>>
  readonly timeoutMs: number
}

/** The tag of each platform's image in the exported layout. */
export function platformRef(platform: Platform): string {
  return formatPlatform(platform).replaceAll('/', '-')
}

/**
 * Builds with buildah, daemonless: vfs storage, registries.conf, storage.conf and a
 * signature policy of its own in the temp directory (the machine's container storage is
 * neither read nor filled), chroot isolation so RUN steps work without a runtime, one `bud` per platform with `--timestamp` = SOURCE_DATE_EPOCH, then
 * `buildah push` of each into an OCI layout at `<work>/layout`.
 */
export async function buildWithBuildah(build: DockerfileBuild): Promise<string> {
  const state = join(build.work, 'buildah')
  const root = join(state, 'root')
  const runroot = join(state, 'run')
  await mkdir(runroot, { recursive: true })
  const registries = join(state, 'registries.conf')
  const storage = join(state, 'storage.conf')
  const policy = join(state, 'policy.json')
  await writeFile(
    registries,
    'unqualified-search-registries = ["docker.io"]\nshort-name-mode = "permissive"\n',
  )
  await writeFile(storage, `[storage]\ndriver = "vfs"\nrunroot = "${runroot}"\ngraphroot = "${root}"\n`)
  await writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }))
  const env = {
    ...build.env,
    CONTAINERS_REGISTRIES_CONF: registries,
    CONTAINERS_STORAGE_CONF: storage,
    BUILDAH_ISOLATION: 'chroot',
    XDG_RUNTIME_DIR: runroot,
  }
  const global = ['--root', root, '--runroot', runroot, '--storage-driver', 'vfs']
  const layout = join(build.work, 'layout')
  for (const platform of build.platforms) {
    const ref = platformRef(platform)
    const image = `localhost/polyship-build:${ref}`
    await run(
      'buildah',
      [
        ...global,
        'bud',
        '--isolation',
        'chroot',
        '--signature-policy',
        policy,
        '--platform',
        formatPlatform(platform),
        '--timestamp',
        String(build.epoch),
        '--build-arg',
        `SOURCE_DATE_EPOCH=${build.epoch}`,
        '--format',
        'oci',
        '-f',
        build.dockerfile,
        '-t',
        image,
        build.context,
      ],
      { env, timeoutMs: build.timeoutMs, cwd: build.context },
    )
    await run(
      'buildah',
      [...global, 'push', '--signature-policy', policy, '--format', 'oci', image, `oci:${layout}:${ref}`],
      {
        env,
        timeoutMs: build.timeoutMs,
      },
    )
  }
  return layout
}
