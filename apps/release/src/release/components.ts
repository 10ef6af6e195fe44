import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  cargoPackage,
  fileComponent,
  goModule,
  goStdlib,
  npmPackage,
  parseRequirement,
  pythonRequirement,
  type SbomComponent,
} from '@polyship/attest'
import { type BinaryDependencies, parseCargoLock } from '@polyship/binary'
import type { InstalledPackage } from '@polyship/container'
import type { Digest } from '@polyship/core'
import type { ResolvedDependency } from '@polyship/npm'

/**
 * Maps what the format packages know about their inputs to SBOM components. The release
 * app is the only place that sees both sides, so the mapping lives here.
 */
export function binaryDependencyComponents(dependencies: BinaryDependencies): SbomComponent[] {
  switch (dependencies.toolchain) {
    case 'go':
      return [
        goStdlib(dependencies.goVersion),
        ...dependencies.modules.filter((m) => m.path !== dependencies.main.path).map((m) => goModule(m)),
      ]
    case 'rust':
      return dependencies.crates.filter((c) => !c.buildOnly).map((c) => cargoPackage(c))
  }
}

/** The binary itself as a component, its dependencies below it. */
export function binaryComponent(binary: {
  readonly name: string
  readonly version: string
  readonly digest: Digest
  readonly dependencies: BinaryDependencies
}): SbomComponent {
  const purl =
    binary.dependencies.toolchain === 'go'
      ? `pkg:golang/${binary.dependencies.main.path}@v${binary.version}`
      : `pkg:cargo/${binary.dependencies.root.name}@${binary.version}`
  return fileComponent({
    name: binary.name,
    digest: binary.digest,
    version: binary.version,
    purl,
    dependsOn: binaryDependencyComponents(binary.dependencies),
  })
}

/** A wheel's Python requirements and the crates compiled into it (from the project's Cargo.lock). */
export async function wheelComponents(
  requiresDist: readonly string[],
  projectRoot: string,
): Promise<SbomComponent[]> {
  const python = requiresDist.map((line) => pythonRequirement(parseRequirement(line)))
  const lockFile = join(projectRoot, 'Cargo.lock')
  const lock = await readFile(lockFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw error
  })
  const crates =
    lock === undefined ? [] : parseCargoLock(lock, lockFile).filter((p) => p.source !== undefined)
  return [...python, ...crates.map((c) => cargoPackage(c))]
}

/** An npm package's dependencies as the lockfile resolved them (see `resolvedDependencies`). */
export function npmComponents(dependencies: readonly ResolvedDependency[]): SbomComponent[] {
  return dependencies.map((d) =>
    npmPackage({
      name: d.name,
      ...(d.version === undefined ? {} : { version: d.version }),
      ...(d.range === undefined ? {} : { range: d.range }),
      ...(d.integrity === undefined ? {} : { integrity: d.integrity }),
      scope: d.optional ? 'optional' : 'required',
    }),
  )
}

/** The purl of an npm package itself: `pkg:npm/%40scope/name@1.0.0`. */
export function npmPurl(name: string, version: string): string {
  return npmPackage({ name, version }).purl
}

/**
 * What an image installed besides its own artifacts (see `BuiltImage.packages`): one
 * component per package and version, the platforms a Python dependency was resolved for
 * kept as a property (a compiled wheel differs per platform, the package does not).
 */
export function installedComponents(packages: readonly InstalledPackage[]): SbomComponent[] {
  const byPurl = new Map<string, { component: SbomComponent; platforms: Set<string> }>()
  for (const p of packages) {
    const component =
      p.ecosystem === 'npm'
        ? npmPackage({ name: p.name, version: p.version, scope: 'required' })
        : pythonRequirement(parseRequirement(`${p.name}==${p.version}`))
    const seen = byPurl.get(component.purl) ?? { component, platforms: new Set<string>() }
    if (p.platform !== undefined) seen.platforms.add(p.platform)
    byPurl.set(component.purl, seen)
  }
  return [...byPurl.values()].map(({ component, platforms }) =>
    platforms.size === 0
      ? component
      : {
          ...component,
          properties: { ...component.properties, 'polyship:platforms': [...platforms].sort().join(',') },
        },
  )
}
