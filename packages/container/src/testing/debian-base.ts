import { createHash } from 'node:crypto'
import { createWriteStream, existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { gunzipSync } from 'node:zlib'
import { type ArchiveEntry, digestFile, digestHex, run, treeEntries } from '@polyship/core'
import { type Descriptor, encodeManifest, LayoutStore, MEDIA_TYPES } from '@polyship/oci'
import { NONROOT_ID, staticBaseEntries } from '../base/static-base.ts'
import { writeLayer } from '../layer/layer.ts'
import { pushBaseManifest } from './layout-image.ts'

/**
 * A runnable base image built from Debian's own packages, with no registry and no daemon:
 * the test bed's stand-in for `python:3.11-slim` or `node:slim`, which this machine cannot
 * pull. For each architecture the helper reads the suite's `Packages.gz`, takes the
 * dependency closure of the packages asked for (first alternative of each `a | b`, virtual
 * packages through `Provides`, `exclude` cut out), downloads the `.deb` files (each checked
 * against the index's SHA256), unpacks them with `dpkg-deb -x` into one tree, adds the
 * built-in static base (root and nonroot 65532, CA bundle, /tmp) and writes one gzip layer
 * per architecture into an OCI layout, tagged, with an index over the architectures.
 *
 * Nothing runs inside the tree (no maintainer scripts), so architectures other than the
 * machine's are built the same way. The index's Release signature is not checked: this is
 * a test helper, not a way to make production images.
 *
 * Cached: the layout lives under `cacheDir` keyed by suite, packages, exclusions and
 * architectures, and the .deb files by their SHA256, so a second run (or a second test
 * file) reuses it without the network.
 */
export interface DebianBaseOptions {
  /** Binary packages to install, e.g. `['python3']` or `['nodejs']`. */
  readonly packages: readonly string[]
  /** Debian architectures, default `['amd64']`; `arm64` gives a linux/arm64/v8 manifest. */
  readonly architectures?: readonly string[]
  /** Packages never installed even when something depends on them (maintainer tooling). */
  readonly exclude?: readonly string[]
  /** Default `bookworm`. */
  readonly suite?: string
  /** Default `http://deb.debian.org/debian`. */
  readonly mirror?: string
  /** Default `$POLYSHIP_CACHE/debian-base` (`~/.cache/polyship/debian-base`). */
  readonly cacheDir?: string
  /** The tag of the index in the layout, default `latest`. */
  readonly tag?: string
}

export interface DebianBase {
  /** The OCI layout directory: use as `oci:<layout>:<tag>` in image config or `bases`. */
  readonly layout: string
  readonly tag: string
  /** `oci:<layout>:<tag>`. */
  readonly reference: string
  /** Installed package names with versions, per architecture. */
  readonly installed: Readonly<Record<string, readonly string[]>>
}

/** What dpkg, debconf and friends pull in; none of it is needed to run a program. */
export const DEFAULT_DEBIAN_EXCLUDE: readonly string[] = [
  'dpkg',
  'debconf',
  'perl-base',
  'debianutils',
  'install-info',
  'init-system-helpers',
  'ca-certificates',
  'tar',
  'sensible-utils',
]

const EPOCH = 1_704_067_200
const CREATED = '2024-01-01T00:00:00Z'
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

export async function debianBase(options: DebianBaseOptions): Promise<DebianBase> {
  const suite = options.suite ?? 'bookworm'
  const mirror = (options.mirror ?? 'http://deb.debian.org/debian').replace(/\/+$/, '')
  const architectures = options.architectures ?? ['amd64']
  const exclude = new Set(options.exclude ?? DEFAULT_DEBIAN_EXCLUDE)
  const tag = options.tag ?? 'latest'
  const cacheDir = options.cacheDir ?? join(defaultCache(), 'debian-base')
  const key = createHash('sha256')
    .update(
      JSON.stringify([4, suite, mirror, [...options.packages].sort(), [...exclude].sort(), architectures]),
    )
    .digest('hex')
    .slice(0, 16)
  const layout = join(cacheDir, 'layouts', `${options.packages.join('+')}-${key}`)
  const manifestFile = join(layout, 'polyship-debian-base.json')
  if (existsSync(manifestFile)) {
    const installed = JSON.parse(await readFile(manifestFile, 'utf8')) as Record<string, string[]>
    return { layout, tag, reference: `oci:${layout}:${tag}`, installed }
  }
  const building = `${layout}.${process.pid}.tmp`
  await rm(building, { recursive: true, force: true })
  const store = new LayoutStore(building)
  const manifests: Descriptor[] = []
  const installed: Record<string, string[]> = {}
  for (const arch of architectures) {
    const index = await packagesIndex(mirror, suite, arch, cacheDir)
    const closure = dependencyClosure(index, options.packages, exclude, arch)
    installed[arch] = closure.map((p) => `${p.name}=${p.version}`)
    const debs = await Promise.all(closure.map((p) => fetchDeb(mirror, p, cacheDir)))
    const manifest = await writeArchitecture(store, arch, debs)
    manifests.push(manifest)
  }
  const content = encodeManifest({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests })
  await store.putManifest(content, { tag })
  await writeFile(join(building, 'polyship-debian-base.json'), `${JSON.stringify(installed, null, 2)}\n`)
  await mkdir(join(cacheDir, 'layouts'), { recursive: true })
  try {
    await rename(building, layout)
  } catch (error) {
    // Another process finished the same layout first: theirs is as good as ours.
    if (!existsSync(manifestFile)) throw error
    await rm(building, { recursive: true, force: true })
  }
  return { layout, tag, reference: `oci:${layout}:${tag}`, installed }
}

interface DebPackage {
  readonly name: string
  readonly version: string
  readonly filename: string
  readonly sha256: string
  readonly depends: string
}

interface PackagesIndex {
  readonly packages: ReadonlyMap<string, DebPackage>
  /** Virtual package -> the real packages that provide it. */
  readonly provides: ReadonlyMap<string, readonly string[]>
}

async function packagesIndex(
  mirror: string,
  suite: string,
  arch: string,
  cacheDir: string,
): Promise<PackagesIndex> {
  const cached = join(cacheDir, 'indexes', `${suite}-main-${arch}-Packages.gz`)
  if (!existsSync(cached)) {
    await download(`${mirror}/dists/${suite}/main/binary-${arch}/Packages.gz`, cached)
  }
  const text = gunzipSync(await readFile(cached)).toString('utf8')
  const packages = new Map<string, DebPackage>()
  const provides = new Map<string, string[]>()
  for (const stanza of text.split(/\n\n+/)) {
    const fields = new Map<string, string>()
    let last = ''
    for (const line of stanza.split('\n')) {
      if (line.startsWith(' ') && last !== '') fields.set(last, `${fields.get(last)}\n${line}`)
      else {
        const colon = line.indexOf(':')
        if (colon <= 0) continue
        last = line.slice(0, colon)
        fields.set(last, line.slice(colon + 1).trim())
      }
    }
    const name = fields.get('Package')
    if (name === undefined || packages.has(name)) continue
    packages.set(name, {
      name,
      version: fields.get('Version') ?? '',
      filename: fields.get('Filename') ?? '',
      sha256: fields.get('SHA256') ?? '',
      depends: [fields.get('Pre-Depends'), fields.get('Depends')].filter(Boolean).join(', '),
    })
    for (const provided of (fields.get('Provides') ?? '').split(',')) {
      const virtual = provided.trim().split(/[\s(]/)[0]
      if (virtual) provides.set(virtual, [...(provides.get(virtual) ?? []), name])
    }
  }
  return { packages, provides }
}

function dependencyClosure(
  index: PackagesIndex,
  wanted: readonly string[],
  exclude: ReadonlySet<string>,
  arch: string,
): DebPackage[] {
  const chosen = new Map<string, DebPackage>()
  const pick = (name: string): DebPackage | undefined =>
    index.packages.get(name) ?? index.packages.get(index.provides.get(name)?.[0] ?? '')
  const queue = [...wanted]
  for (const name of wanted) {
    if (pick(name) === undefined) throw new Error(`debianBase: no package ${name} in the ${arch} index`)
  }
  while (queue.length > 0) {
    const name = queue.shift()!
    if (exclude.has(name) && !wanted.includes(name)) continue
    const found = pick(name)
    if (found === undefined || chosen.has(found.name)) continue
    chosen.set(found.name, found)
    for (const clause of found.depends.split(',')) {
      const alternatives = clause
        .split('|')
        .map((a) => a.trim().split(/[\s(:]/)[0]!)
        .filter((a) => a !== '')
      if (alternatives.length === 0) continue
      if (alternatives.some((a) => chosen.has(a) || (exclude.has(a) && !wanted.includes(a)))) continue
      const first = alternatives.find((a) => pick(a) !== undefined)
      if (first !== undefined) queue.push(first)
    }
  }
  return [...chosen.values()].sort((a, b) => (a.name < b.name ? -1 : 1))
}

async function fetchDeb(mirror: string, pkg: DebPackage, cacheDir: string): Promise<string> {
  const file = join(cacheDir, 'debs', `${pkg.sha256}.deb`)
  if (existsSync(file)) return file
  await download(`${mirror}/${pkg.filename}`, file)
  const actual = digestHex((await digestFile(file)).digest)
  if (actual !== pkg.sha256) {
    await rm(file, { force: true })
    throw new Error(`debianBase: ${pkg.filename} has sha256 ${actual}, the index says ${pkg.sha256}`)
  }
  return file
}

async function download(url: string, file: string): Promise<void> {
  const response = await fetch(url, { signal: AbortSignal.timeout(300_000) })
  if (!response.ok || response.body === null)
    throw new Error(`debianBase: GET ${url}: HTTP ${response.status}`)
  await mkdir(join(file, '..'), { recursive: true })
  const temp = `${file}.${process.pid}.tmp`
  await pipeline(Readable.fromWeb(response.body as never), createWriteStream(temp))
  await rename(temp, file)
}

const PLATFORMS: Readonly<Record<string, { architecture: string; variant?: string }>> = {
  amd64: { architecture: 'amd64' },
  arm64: { architecture: 'arm64', variant: 'v8' },
  armhf: { architecture: 'arm', variant: 'v7' },
  i386: { architecture: '386' },
  ppc64el: { architecture: 'ppc64le' },
  s390x: { architecture: 's390x' },
}

async function writeArchitecture(
  store: LayoutStore,
  arch: string,
  debs: readonly string[],
): Promise<Descriptor> {
  const platform = PLATFORMS[arch]
  if (platform === undefined) throw new Error(`debianBase: no OCI platform for Debian architecture ${arch}`)
  const work = await mkdtemp(join(tmpdir(), 'polyship-debian-base-'))
  try {
    const root = join(work, 'root')
    await mkdir(root)
    for (const deb of debs) await run('dpkg-deb', ['-x', deb, root])
    // The static base's passwd, group, CA bundle and /tmp win over the packages' files.
    const base = staticBaseEntries()
    const ours = new Set(base.map((e) => e.path))
    const tree = (await treeEntries(root)).filter((e) => !ours.has(e.path))
    const entries: ArchiveEntry[] = [...base, ...tree].sort((a, b) => (a.path < b.path ? -1 : 1))
    const written = await writeLayer(entries, {
      dir: work,
      mtime: EPOCH,
      gzipLevel: 6,
      createdBy: `polyship test: Debian packages for ${arch}`,
    })
    return await pushBaseManifest(store, {
      platform: { os: 'linux', ...platform },
      layers: [written],
      config: { Env: [PATH_ENV], User: `${NONROOT_ID}:${NONROOT_ID}` },
      created: CREATED,
    })
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

function defaultCache(): string {
  return (
    process.env.POLYSHIP_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'polyship')
  )
}
