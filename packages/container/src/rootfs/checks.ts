import { posix } from 'node:path'
import { ContainerError } from '../errors.ts'
import type { ImageUser } from '../image/settings.ts'
import type { LayerEntry } from '../layer/layer.ts'
import { type ContentReader, Rootfs } from './rootfs.ts'

/** One layer as the checks see it: names, and readers for small files. */
export interface TreeLayer {
  readonly entries: readonly LayerEntry[]
  readonly contents: ReadonlyMap<string, ContentReader>
}

/**
 * The image's file tree for the checks, built lazily: polyship's own layers first, and
 * the base image's layers (downloaded and listed) only when an answer is not found in
 * ours. A path found in our layers is final, since our layers lie on top.
 */
export class ImageTree {
  readonly #ours: Rootfs
  readonly #layers: readonly TreeLayer[]
  readonly #loadBase: (() => Promise<readonly TreeLayer[]>) | undefined
  #full: Promise<Rootfs> | undefined

  constructor(ours: readonly TreeLayer[], loadBase?: () => Promise<readonly TreeLayer[]>) {
    this.#layers = ours
    this.#ours = new Rootfs()
    for (const layer of ours) this.#ours.apply(layer.entries, layer.contents)
    this.#loadBase = loadBase
  }

  async find(path: string): Promise<{ readonly path: string; readonly entry: LayerEntry } | undefined> {
    return this.#ours.resolve(path) ?? (await this.#fullTree())?.resolve(path)
  }

  async read(path: string): Promise<Uint8Array | undefined> {
    if (this.#ours.resolve(path) !== undefined) return this.#ours.read(path)
    return (await this.#fullTree())?.read(path)
  }

  #fullTree(): Promise<Rootfs | undefined> {
    if (this.#loadBase === undefined) return Promise.resolve(undefined)
    const load = this.#loadBase
    this.#full ??= (async () => {
      const full = new Rootfs()
      for (const layer of [...(await load()), ...this.#layers]) full.apply(layer.entries, layer.contents)
      return full
    })()
    return this.#full
  }
}

/**
 * The program a container starts (entrypoint[0], else cmd[0]) must be an executable file:
 * absolute paths as given, relative ones from the working directory, bare names searched
 * on the image's PATH, symlinks followed inside the image.
 */
export async function checkEntrypoint(
  tree: ImageTree,
  argv: readonly string[] | undefined,
  options: {
    readonly path: string
    readonly workdir: string
    readonly where: string
    readonly platform: string
  },
): Promise<void> {
  const program = argv?.[0]
  if (program === undefined || program === '') {
    throw new ContainerError(
      'CONTAINER_ENTRYPOINT_MISSING',
      `${options.where}: the ${options.platform} image has no entrypoint or cmd`,
      {
        hint: 'set polyship.image.entrypoint, e.g. ["/usr/local/bin/app"]',
      },
    )
  }
  const candidates = program.includes('/')
    ? [posix.resolve(options.workdir, program)]
    : options.path
        .split(':')
        .filter((dir) => dir.startsWith('/'))
        .map((dir) => posix.join(dir, program))
  for (const candidate of candidates) {
    const found = await tree.find(candidate)
    if (found === undefined) continue
    if (found.entry.type === 'file' && (found.entry.mode & 0o111) !== 0) return
    if (found.entry.type === 'file') {
      throw new ContainerError(
        'CONTAINER_ENTRYPOINT_MISSING',
        `${options.where}: ${candidate} in the ${options.platform} image is not executable (mode ${found.entry.mode.toString(8)})`,
        {
          hint: 'map it with mode "0755", or point the entrypoint at an executable',
        },
      )
    }
  }
  const searched = program.includes('/') ? candidates[0] : `${program} on PATH ${options.path}`
  throw new ContainerError(
    'CONTAINER_ENTRYPOINT_MISSING',
    `${options.where}: ${searched} is not in the ${options.platform} image`,
    {
      hint: 'check the path against polyship.image.binaryDir and files mappings (binaries go to /usr/local/bin/<name> by default)',
    },
  )
}

/** A user or group given by name must be in the image's /etc/passwd or /etc/group; numeric ids need nothing. */
export async function checkUser(tree: ImageTree, user: ImageUser, where: string): Promise<void> {
  for (const [kind, name, file] of [
    ['user', user.user, '/etc/passwd'],
    ['group', user.group, '/etc/group'],
  ] as const) {
    if (name === undefined || /^\d+$/.test(name)) continue
    const content = await tree.read(file)
    const names = content === undefined ? [] : namesIn(new TextDecoder().decode(content))
    if (names.includes(name)) continue
    throw new ContainerError(
      'CONTAINER_USER_UNKNOWN',
      `${where}: ${kind} "${name}" is not in the image's ${file}${content === undefined ? ' (the image has none)' : ` (it has: ${names.join(', ')})`}`,
      {
        hint: 'use a numeric uid:gid (65532:65532 is nonroot), the static base (root, nonroot), or a base that defines the name',
      },
    )
  }
}

function namesIn(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.split(':')[0]!.trim())
    .filter((name) => name !== '' && !name.startsWith('#'))
}
