import { posix } from 'node:path'
import type { ArchiveEntry } from '@polyship/core'
import { ContainerError } from '../errors.ts'
import type { SourcedEntries } from './project-files.ts'

/**
 * Refuses two things at one path across the project's layers (files, wheels, binaries) or
 * within one: two files, or a file where another mapping needs a directory. Directories
 * shared by several layers are fine. The message names both origins.
 */
export function checkDuplicates(sets: readonly SourcedEntries[], platform: string): void {
  const files = new Map<string, string>()
  const dirs = new Map<string, string>()
  const clash = (path: string, first: string, second: string): ContainerError =>
    new ContainerError(
      'CONTAINER_DUPLICATE_PATH',
      `/${path} in the ${platform} image comes from both ${first} and ${second}`,
      { hint: 'map each path once: change one files[].to, the binaryDir, or drop one of the artifacts' },
    )
  for (const set of sets) {
    for (const entry of set.entries) {
      const path = entry.path.replace(/\/+$/, '')
      const origin = set.origins.get(entry.path) ?? set.origins.get(path) ?? 'a layer'
      for (let parent = posix.dirname(path); parent !== '.'; parent = posix.dirname(parent)) {
        const file = files.get(parent)
        if (file !== undefined) throw clash(parent, file, `${origin} (needs it to be a directory)`)
        if (!dirs.has(parent)) dirs.set(parent, origin)
      }
      const existing = files.get(path) ?? (isDirectory(entry) ? undefined : dirs.get(path))
      if (existing !== undefined) throw clash(path, existing, origin)
      if (isDirectory(entry)) dirs.set(path, origin)
      else files.set(path, origin)
    }
  }
}

function isDirectory(entry: ArchiveEntry): boolean {
  return entry.type === 'directory'
}
