import { copyFile, mkdir, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { type Digest, digestFile } from '@polyship/core'
import { ReleaseError } from '../release/errors.ts'
import type { PublishOutcome, Reconciliation } from './outcome.ts'

export interface AssetFile {
  readonly name: string
  readonly path: string
  readonly digest: Digest
}

/**
 * A directory of release assets (the embedded default for archives, checksums and their
 * bundles). A file already there with the same digest is unchanged; other bytes under
 * the same name are a conflict. Files land by rename, so a crash never leaves half a file.
 */
export class AssetDirectory {
  readonly dir: string

  constructor(dir: string) {
    this.dir = dir
  }

  async reconcile(file: AssetFile): Promise<Reconciliation> {
    const location = join(this.dir, file.name)
    const existing = await digestFile(location).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined
      throw error
    })
    if (existing === undefined) return { status: 'new', location }
    if (existing.digest === file.digest) return { status: 'unchanged', location, digest: existing.digest }
    return { status: 'conflict', location, existing: existing.digest, wanted: file.digest }
  }

  async publish(file: AssetFile): Promise<PublishOutcome> {
    const state = await this.reconcile(file)
    switch (state.status) {
      case 'unchanged':
        return state
      case 'conflict':
        throw new ReleaseError(
          'RELEASE_CONFLICT',
          `${state.location} holds ${state.existing}, not ${state.wanted}`,
          {
            hint: 'released files are immutable: bump the version, or remove the old file if it was never published',
          },
        )
      case 'new': {
        await mkdir(dirname(state.location), { recursive: true })
        // One name per file (runs hold the workspace lock): a copy cut short by a crash is
        // overwritten by the next run instead of left behind under a new name.
        const temp = join(dirname(state.location), `.${basename(state.location)}.partial`)
        try {
          await copyFile(file.path, temp)
          await rename(temp, state.location)
        } catch (error) {
          await rm(temp, { force: true })
          throw error
        }
        return { status: 'published', location: state.location, digest: file.digest }
      }
    }
  }
}
