import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { OciError } from '@polyship/oci'
import { afterAll, beforeAll } from 'vitest'

/** A temp directory per test file, removed afterwards. */
export function tempDir(prefix: string): () => string {
  let dir = ''
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `polyship-oci-${prefix}-`))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })
  return () => dir
}

/** The error `promise` rejects with; fails the test when it resolves. */
export async function failure(promise: Promise<unknown>): Promise<OciError> {
  return (await promise.then(
    () => {
      throw new Error('expected a failure')
    },
    (e: unknown) => e,
  )) as OciError
}
