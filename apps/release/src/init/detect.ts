import type { ImageConfig, ProjectConfig } from '@polyship/core'
import { normalizePythonName, parseProjectManifest } from '@polyship/core'
import { detectCargoCrates, readCargoManifests } from './cargo-crate.ts'
import { detectCharts } from './chart.ts'
import { wireChartImages } from './chart-images.ts'
import { dockerfilesByDir, exposedPorts } from './dockerfile.ts'
import { detectGoModules } from './go-module.ts'
import { parsing } from './manifest-error.ts'
import { parsePackageJson } from './package-json.ts'
import {
  type DetectedProject,
  type Detection,
  dirOf,
  type NativeProject,
  packageName,
  type ReadText,
  type SkippedManifest,
} from './project.ts'
import { detectPythonProjects, maturinCargoDirs } from './pyproject.ts'

/** When one directory holds several native manifests, the one that becomes its project. */
const PRIORITY: readonly NativeProject['kind'][] = ['python', 'go', 'rust', 'chart']

/** The projects a Dockerfile beside them turns into images (their binaries or wheel go in). */
const IMAGE_KINDS: ReadonlySet<string | undefined> = new Set(['go', 'rust', 'python'])

/** A package.json as found: its parsed fields (init never rewrites them). */
interface ExistingManifest {
  readonly path: string
  readonly json: Record<string, unknown>
}

/**
 * Finds every project of a repository from its file list: Go modules, Cargo crates,
 * Python projects, Helm charts, npm packages, and projects already configured for polyship;
 * Dockerfiles beside a Go, Rust or Python project make it an image too.
 */
export async function detectProjects(files: readonly string[], read: ReadText): Promise<Detection> {
  const cargoManifests = await readCargoManifests(files, read)
  const python = await detectPythonProjects(files, read, cargoManifests)
  const go = await detectGoModules(files, read)
  const cargo = detectCargoCrates(files, cargoManifests, maturinCargoDirs(python.projects, python.infos))
  const charts = await detectCharts(files, read)
  const skipped: SkippedManifest[] = [...go.skipped, ...cargo.skipped, ...charts.skipped]

  const natives = new Map<string, NativeProject>()
  for (const project of [...python.projects, ...go.projects, ...cargo.projects, ...charts.projects].sort(
    (a, b) => PRIORITY.indexOf(a.kind) - PRIORITY.indexOf(b.kind),
  )) {
    const owner = natives.get(project.dir)
    if (owner === undefined) natives.set(project.dir, project)
    else
      skipped.push({
        path: project.manifest,
        reason: `${project.dir} is already the ${owner.kind} project (${owner.manifest}); one project per directory`,
      })
  }

  const existing = new Map<string, ExistingManifest>()
  for (const path of files.filter((f) => f === 'package.json' || f.endsWith('/package.json'))) {
    const text = await read(path)
    existing.set(dirOf(path), { path, json: parsePackageJson(text, path) })
  }

  // Names of package.json files that are (or will be) workspace projects; the root's only when it is one.
  const taken = new Set<string>()
  for (const [dir, { json }] of existing) {
    if (typeof json.name === 'string' && (dir !== '.' || natives.has(dir))) taken.add(json.name)
  }
  const projects: DetectedProject[] = []
  for (const [dir, manifest] of existing) {
    if (natives.has(dir) || dir === '.') continue
    const found = fromPackageJson(manifest)
    if (found !== undefined) projects.push(found)
  }
  const dockerfiles = dockerfilesByDir(files)
  for (const [dir, native] of natives) {
    const manifest = existing.get(dir)
    projects.push(
      manifest?.json.polyship !== undefined
        ? configured(native, manifest)
        : await withImage(named(native, manifest, taken), dockerfiles.get(dir), read),
    )
  }
  for (const [dir, paths] of dockerfiles) {
    if (IMAGE_KINDS.has(natives.get(dir)?.kind)) continue
    for (const path of paths) {
      skipped.push({
        path,
        reason:
          'Dockerfile with no Go, Rust or Python project beside it: polyship assembles images from binaries and wheels (polyship.image.dockerfile builds one with buildah)',
      })
    }
  }
  return {
    projects: (await wireChartImages(projects, files, read)).sort((a, b) => a.dir.localeCompare(b.dir)),
    skipped: skipped.sort((a, b) => a.path.localeCompare(b.path)),
  }
}

/** A package.json with no native manifest beside it: an npm package, or a project configured by hand. */
function fromPackageJson({ path, json }: ExistingManifest): DetectedProject | undefined {
  const dir = dirOf(path)
  if (json.polyship !== undefined) {
    const { name, version, config } = parsing(path, () => parseProjectManifest(json, path))
    return {
      dir,
      kind: 'configured',
      name,
      version,
      manifest: path,
      config,
      notes: ['already has a polyship field'],
    }
  }
  if (json.private === true || typeof json.name !== 'string') return undefined
  return {
    dir,
    kind: 'npm',
    name: json.name,
    version: typeof json.version === 'string' ? json.version : '0.0.0',
    manifest: path,
    config: undefined,
    notes: ['an npm package (not private): released to an npm registry as pnpm packs it'],
  }
}

/** A native project whose package.json already has a polyship field: left as the user wrote it. */
function configured(native: NativeProject, { path, json }: ExistingManifest): DetectedProject {
  const { name, version, config } = parsing(path, () => parseProjectManifest(json, path))
  const { nativeName: _, ...rest } = native
  return {
    ...rest,
    name,
    version,
    config,
    notes: [`${path} already has a polyship field: kept as it is`],
  }
}

/** The package.json name of a new project: its own if package.json exists, else the native one, made unique. */
function named(
  native: NativeProject,
  manifest: ExistingManifest | undefined,
  taken: Set<string>,
): DetectedProject {
  const { nativeName, ...rest } = native
  const notes = [...native.notes]
  let name =
    typeof manifest?.json.name === 'string'
      ? manifest.json.name
      : packageName(nativeName) || packageName(native.dir.split('/').at(-1) ?? '') || native.kind
  if (manifest?.json.name === undefined) {
    if (taken.has(name)) {
      const wanted = name
      name = `${wanted}-${native.kind}`
      for (let n = 2; taken.has(name); n++) name = `${wanted}-${native.kind}-${n}`
      notes.push(`named ${name}: ${wanted} is taken by another project`)
    }
    taken.add(name)
  }
  const written = manifest?.json.version
  const version = typeof written === 'string' ? written : native.version
  if (typeof written === 'string' && written !== native.version && native.kind !== 'go') {
    notes.push(
      `package.json says ${written} but ${native.manifest} says ${native.version}: make them agree (polyship version keeps them in step from then on)`,
    )
  }
  let config: ProjectConfig | undefined = native.config
  if (native.kind === 'python' && normalizePythonName(name) !== normalizePythonName(nativeName)) {
    config = { ...config, wheel: { ...config?.wheel, distribution: nativeName } }
  }
  return { ...rest, name, version, config, notes }
}

/** A Dockerfile beside a Go, Rust or Python project makes it an image, assembled from its own artifacts. */
async function withImage(
  project: DetectedProject,
  dockerfiles: readonly string[] | undefined,
  read: ReadText,
): Promise<DetectedProject> {
  if (dockerfiles === undefined || project.config?.image !== undefined) return project
  if (!IMAGE_KINDS.has(project.kind)) return project
  const ports = [
    ...new Set((await Promise.all(dockerfiles.map(async (f) => exposedPorts(await read(f))))).flat()),
  ].sort((a, b) => a - b)
  const from = project.kind === 'python' ? 'wheel' : 'binaries'
  const image: ImageConfig =
    project.kind === 'python'
      ? { base: 'python', ...(project.executable === undefined ? {} : { entrypoint: [project.executable] }) }
      : {
          base: 'static',
          platforms: project.kind === 'go' ? ['linux/amd64', 'linux/arm64'] : ['linux/amd64'],
          entrypoint: [`/usr/local/bin/${project.executable}`],
        }
  return {
    ...project,
    config: { ...project.config, image: { ...image, ...(ports.length === 0 ? {} : { ports }) } },
    dockerfiles,
    notes: [
      ...project.notes,
      `${dockerfiles.join(', ')} suggests an image: polyship assembles it from the project's ${from} without a daemon; the Dockerfile itself is not used`,
    ],
  }
}
