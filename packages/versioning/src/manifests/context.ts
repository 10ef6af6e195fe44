import type { ProjectConfig, Reporter } from '@polyship/core'
import { parseToml } from '../edit/toml-edit.ts'
import type { ManifestEdits } from './edit-set.ts'

/** A project whose version changes in this run. */
export interface SyncProject {
  readonly name: string
  /** Absolute project directory. */
  readonly root: string
  readonly oldVersion: string
  readonly newVersion: string
  /** The `polyship` field of its package.json; empty when it has none. */
  readonly config: ProjectConfig
}

/** What every manifest syncer works with. */
export interface SyncContext {
  /** Workspace root; manifests above it are never read. */
  readonly root: string
  readonly edits: ManifestEdits
  readonly projects: readonly SyncProject[]
  /** The version a workspace project has after this run (new when released, else current). */
  versionOf(name: string): string | undefined
  readonly reporter: Reporter
}

export function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
}

/** Reads and parses a TOML file through the run's cache; undefined when it does not exist. */
export async function readTomlFile(
  context: SyncContext,
  file: string,
): Promise<Record<string, unknown> | undefined> {
  const text = await context.edits.read(file)
  return text === undefined ? undefined : parseToml(text, context.edits.show(file))
}
