import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { placeOnce } from '@polyship/core'
import { tarballFileName } from '../package/name.ts'
import { hashTarball } from '../package/tarball.ts'
import type { AddResult, NpmDestination } from './destination.ts'

/**
 * The embedded destination: a directory of tarballs named as `npm pack` names them
 * (`name-1.0.0.tgz`, `scope-name-1.0.0.tgz`), each installable with
 * `npm install ./dist/npm/name-1.0.0.tgz`. A file name is taken atomically (hard link) and
 * never overwritten, so a version's bytes are immutable here as on a registry. It keeps no
 * dist-tags.
 */
export function tarballDirectory(dir: string): NpmDestination {
  const root = resolve(dir)
  return {
    location: root,

    async lookup(name, version) {
      const path = join(root, tarballFileName(name, version))
      const hashes = await hashTarball(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined
        throw error
      })
      return hashes === undefined
        ? { distTags: {} }
        : { held: { integrity: hashes.integrity, shasum: hashes.shasum, location: path }, distTags: {} }
    },

    async add(tarball): Promise<AddResult> {
      await mkdir(root, { recursive: true })
      const path = join(root, tarball.filename)
      if (!(await placeOnce(tarball.path, path))) return { status: 'exists' }
      return { status: 'added', location: path }
    },
  }
}
