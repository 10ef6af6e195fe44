import { binstallMetadata } from '@polyship/binary'
import { parseToml } from '@polyship/versioning'
import { parsing, table } from './manifest-error.ts'
import type { DetectedProject } from './project.ts'
import type { FileEdit } from './project-manifest.ts'

/**
 * A Rust binary crate's Cargo.toml with cargo-binstall metadata (`binstallMetadata`: the
 * URL of each target's archive on the project's GitHub release, under polyship's tag and
 * archive names), appended so `cargo binstall <crate>` installs what polyship released. A
 * crate that has `[package.metadata.binstall]` already keeps its own; undefined for
 * projects that are no Rust binary.
 */
export function cargoBinstall(
  project: DetectedProject,
  original: string | undefined,
  file: string,
): FileEdit | undefined {
  const binary = project.config?.binary
  if (project.kind !== 'rust' || binary?.toolchain !== 'rust' || original === undefined) return undefined
  const doc = parsing(file, () => parseToml(original, file))
  if (table(table(table(doc).package).metadata).binstall !== undefined)
    return { text: original, change: 'has [package.metadata.binstall] already' }
  const section = binstallMetadata({ name: project.name, config: project.config! })
  const text = `${original.replace(/\s*$/, '\n')}\n${section}`
  try {
    parseToml(text, file)
  } catch {
    // `package.metadata` written inline or as dotted keys: a table appended would redefine it.
    return { text: original, change: 'cargo-binstall metadata not added: package.metadata is written inline' }
  }
  return { text, change: 'add [package.metadata.binstall] (cargo binstall finds the release archives)' }
}
