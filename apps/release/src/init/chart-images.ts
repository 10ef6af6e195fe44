import { parseYaml } from '@polyship/versioning'
import { parsing, table } from './manifest-error.ts'
import { type DetectedProject, joinPath, type ReadText } from './project.ts'

/** A values.yaml map that names an image: where it is and the repository it names. */
export interface ImageReference {
  /** Dotted values path of the map, e.g. `api.image`. */
  readonly path: string
  readonly repository: string
}

/** Every map in values that has a string `repository` key (the Helm convention for images). */
export function imageReferences(values: unknown, at: readonly string[] = []): ImageReference[] {
  const map = table(values)
  const found: ImageReference[] = []
  if (typeof map.repository === 'string' && at.length > 0)
    found.push({ path: at.join('.'), repository: map.repository })
  for (const [key, value] of Object.entries(map)) {
    // A key with a dot cannot be named in a dotted path.
    if (!key.includes('.') && typeof value === 'object' && value !== null)
      found.push(...imageReferences(value, [...at, key]))
  }
  return found
}

/** `ghcr.io/acme/api:1.0` -> `api`: the repository's last path element, without tag or digest. */
function repositoryName(repository: string): string {
  return repository.split('@')[0]!.split('/').at(-1)!.split(':')[0]!
}

/**
 * A new chart whose values.yaml names the repository of an image project of this run is
 * wired to it: `polyship.chart.images` maps the values path to the project (the released
 * repository, tag and digest are written there), the chart depends on the project (so
 * changesets bumps it along), and with a single image its version becomes `appVersion`.
 */
export async function wireChartImages(
  projects: readonly DetectedProject[],
  files: readonly string[],
  read: ReadText,
): Promise<DetectedProject[]> {
  const images = new Map(
    projects
      .filter((p) => p.config?.image !== undefined)
      .map((p) => [p.config?.image?.repository ?? p.name.replace(/^@[^/]+\//, ''), p.name] as const),
  )
  const wired: DetectedProject[] = []
  for (const project of projects) {
    const chart = project.config?.chart
    const valuesFile = joinPath(project.dir, 'values.yaml')
    if (
      chart === undefined ||
      project.kind !== 'chart' ||
      chart.images !== undefined ||
      !files.includes(valuesFile)
    ) {
      wired.push(project)
      continue
    }
    const text = await read(valuesFile)
    const mapping = Object.fromEntries(
      imageReferences(parsing(valuesFile, () => parseYaml(text, valuesFile)))
        .map((ref) => [ref.path, images.get(repositoryName(ref.repository))] as const)
        .filter((entry): entry is [string, string] => entry[1] !== undefined),
    )
    const targets = [...new Set(Object.values(mapping))].sort()
    if (targets.length === 0) {
      wired.push(project)
      continue
    }
    wired.push({
      ...project,
      config: {
        ...project.config,
        chart: {
          ...chart,
          ...(targets.length === 1 ? { appVersionFrom: targets[0]! } : {}),
          images: mapping,
        },
      },
      dependsOn: targets,
      notes: [
        ...project.notes.filter((note) => !note.startsWith('to wire the images')),
        `${valuesFile}: ${Object.entries(mapping)
          .map(([path, image]) => `${path} <- ${image}`)
          .join(', ')} (released repository, tag and digest are written there)`,
      ],
    })
  }
  return wired
}
