import { open, readFile } from 'node:fs/promises'
import { posix } from 'node:path'
import { type ArchiveEntry, formatPlatform, type Platform, treeEntries } from '@polyship/core'
import { ContainerError } from '../errors.ts'
import type { SourcedEntries } from '../layer/project-files.ts'

/** A deployed package as two layers' entries, and the native addons it holds. */
export interface DeployedTree {
  /** `<dir>/node_modules/**`: changes only when dependencies do, so it lies below the app. */
  readonly dependencies: SourcedEntries
  /** Everything else: the package's own files. */
  readonly app: SourcedEntries
  /** Package name -> ELF machines of its `.node` files (`undefined` for a non-ELF file). */
  readonly addons: ReadonlyMap<string, readonly (number | undefined)[]>
  /** Every package under node_modules (nested ones too) by the name and version its package.json gives, sorted. */
  readonly packages: readonly { readonly name: string; readonly version: string }[]
}

/** ELF e_machine of each Linux architecture an image may be built for. */
const ELF_MACHINES: Readonly<Record<string, number>> = {
  '386': 3,
  amd64: 62,
  arm: 40,
  arm64: 183,
  ppc64le: 21,
  riscv64: 243,
  s390x: 22,
}

/**
 * The deployed tree `stage` as entries under `dir` (archive form, `app`): owned by root,
 * modes 0644/0755 (readable by any user), directories and relative symlinks as they are.
 * A symlink pointing outside the tree is refused: it would point at the build machine.
 */
export async function deployedTree(
  stage: string,
  options: { readonly dir: string; readonly project: string },
): Promise<DeployedTree> {
  const entries = await treeEntries(stage, { prefix: options.dir })
  const origin = `the deployed package ${options.project}`
  const dependencies: ArchiveEntry[] = [{ type: 'directory', path: options.dir }]
  const app: ArchiveEntry[] = [{ type: 'directory', path: options.dir }]
  const modules = `${options.dir}/node_modules`
  const addons = new Map<string, (number | undefined)[]>()
  const packages = new Map<string, { name: string; version: string }>()
  for (const entry of entries) {
    if (
      entry.type === 'file' &&
      entry.source !== undefined &&
      /\/node_modules\/(?:@[^/]+\/)?[^/]+\/package\.json$/.test(entry.path)
    ) {
      const manifest = JSON.parse(await readFile(entry.source, 'utf8')) as {
        name?: unknown
        version?: unknown
      }
      if (typeof manifest.name === 'string' && typeof manifest.version === 'string')
        packages.set(`${manifest.name}@${manifest.version}`, {
          name: manifest.name,
          version: manifest.version,
        })
    }
    if (entry.type === 'symlink') checkLink(entry.path, entry.target, options.dir)
    const inModules = entry.path === modules || entry.path.startsWith(`${modules}/`)
    ;(inModules ? dependencies : app).push(entry)
    if (entry.type === 'file' && entry.path.endsWith('.node') && entry.source !== undefined) {
      const owner = packageOf(entry.path, options.dir) ?? options.project
      addons.set(owner, [...(addons.get(owner) ?? []), await elfMachine(entry.source)])
    }
  }
  const sourced = (list: ArchiveEntry[]): SourcedEntries => ({
    entries: list,
    origins: new Map(list.map((e) => [e.path, origin])),
  })
  return {
    dependencies: sourced(dependencies),
    app: sourced(app),
    addons,
    packages: [...packages.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, p]) => p),
  }
}

/**
 * Native addons are compiled for the machine that installed them; the deployed tree is the
 * same for every platform. A package whose `.node` files include none for `platform`'s
 * architecture (prebuilds for several platforms are fine) cannot load there:
 * CONTAINER_NODE_NATIVE_ADDON names it.
 */
export function checkAddons(tree: DeployedTree, platform: Platform, where: string): void {
  const wanted = ELF_MACHINES[platform.architecture]
  for (const [name, machines] of tree.addons) {
    if (wanted !== undefined && machines.includes(wanted)) continue
    const have = [...new Set(machines.map(machineName))].join(', ')
    throw new ContainerError(
      'CONTAINER_NODE_NATIVE_ADDON',
      `${where}: ${name} holds a native addon built for ${have}, which cannot load in the ${formatPlatform(platform)} image`,
      {
        hint: `build the image only for the platforms the addon has (polyship.image.platforms), or use a version of ${name} with prebuilds for ${formatPlatform(platform)}`,
      },
    )
  }
}

function machineName(machine: number | undefined): string {
  if (machine === undefined) return 'another OS (not ELF)'
  const arch = Object.entries(ELF_MACHINES).find(([, m]) => m === machine)?.[0]
  return arch === undefined ? `ELF machine ${machine}` : `linux/${arch}`
}

/** `app/node_modules/@scope/name/build/x.node` -> `@scope/name` (the innermost package). */
function packageOf(path: string, dir: string): string | undefined {
  const parts = path.slice(dir.length + 1).split('/')
  const at = parts.lastIndexOf('node_modules')
  if (at === -1 || at + 1 >= parts.length - 1) return undefined
  const first = parts[at + 1]!
  return first.startsWith('@') ? `${first}/${parts[at + 2] ?? ''}` : first
}

async function elfMachine(file: string): Promise<number | undefined> {
  const handle = await open(file, 'r')
  try {
    const header = Buffer.alloc(20)
    const { bytesRead } = await handle.read(header, 0, 20, 0)
    if (bytesRead < 20 || header.readUInt32BE(0) !== 0x7f454c46) return undefined
    return header[5] === 2 ? header.readUInt16BE(18) : header.readUInt16LE(18)
  } finally {
    await handle.close()
  }
}

function checkLink(path: string, target: string, dir: string): void {
  const resolved = posix.normalize(posix.join(posix.dirname(`/${path}`), target))
  if (!target.startsWith('/') && (resolved === `/${dir}` || resolved.startsWith(`/${dir}/`))) return
  throw new ContainerError(
    'CONTAINER_PATH_ESCAPES',
    `the deployed package has a symlink /${path} -> ${target}, which points outside /${dir}`,
    {
      hint: 'a deployed package must hold its files itself; check the pnpm deploy output for links into the store or the workspace',
    },
  )
}
