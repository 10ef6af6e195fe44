import { type Project, parsePlatform } from '@polyship/core'
import { archiveFileName, archiveFormatFor, DEFAULT_PLATFORMS } from '../names.ts'
import { rustTriples } from './target.ts'

/**
 * The `[package.metadata.binstall]` section that lets `cargo binstall <crate>` find a Rust
 * project's archives on its GitHub release. cargo-binstall's defaults look under the tags
 * `{ version }`, `v{ version }` and `{ subcrate }/{ version }` for `{ name }-{ target }...`
 * file names; polyship tags `<project>@<version>` and names archives
 * `<project>_<version>_<os>_<arch>` in Go's words (or `polyship.binary.archiveName`), so each
 * Rust target of the configured platforms gets an override with the exact URL (binstall's
 * `{ repo }` and `{ version }` left for it to fill), `zip` on windows. Binaries sit at the
 * archive root (`{ bin }{ binary-ext }`, binstall's default).
 */
export function binstallMetadata(project: Pick<Project, 'name' | 'config'>): string {
  const config = project.config.binary
  const platforms = (config?.platforms ?? DEFAULT_PLATFORMS).map((p) => parsePlatform(p))
  const tag = encodeURIComponent(`${project.name}@`)
  const lines = ['[package.metadata.binstall]', 'bin-dir = "{ bin }{ binary-ext }"', 'pkg-fmt = "tgz"']
  const seen = new Set<string>()
  for (const platform of platforms) {
    const naming =
      config?.archiveName === undefined
        ? {}
        : { template: config.archiveName, binary: config.bins?.[0] ?? project.name }
    const name = archiveFileName(project.name, '{ version }', platform, naming)
    for (const triple of rustTriples(platform)) {
      if (seen.has(triple)) continue
      seen.add(triple)
      lines.push(
        '',
        `[package.metadata.binstall.overrides.${triple}]`,
        `pkg-url = "{ repo }/releases/download/${tag}{ version }/${encodeURIComponent(name).replaceAll('%7B%20version%20%7D', '{ version }')}"`,
        ...(archiveFormatFor(platform) === 'zip' ? ['pkg-fmt = "zip"'] : []),
      )
    }
  }
  return `${lines.join('\n')}\n`
}
