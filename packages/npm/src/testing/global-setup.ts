import type { TestProject } from 'vitest/node'
import { type SharedVerdaccio, startVerdaccio } from './verdaccio.ts'

/**
 * Root vitest globalSetup: starts ONE loopback Verdaccio per test run and provides
 * `{ url, token, user, storageDir }` to every project's tests under the key `npmRegistry`:
 *
 *   import { inject } from 'vitest'
 *   import type {} from '@polyship/npm/testing' // brings the `npmRegistry` type
 *   const { url, token } = inject('npmRegistry')
 *
 * Tests share it: publish package names unique to the test (package + test + pid).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const verdaccio = await startVerdaccio()
  const shared: SharedVerdaccio = {
    url: verdaccio.url,
    token: verdaccio.token,
    user: verdaccio.user,
    storageDir: verdaccio.storageDir,
  }
  project.provide('npmRegistry', shared)
  return () => verdaccio.stop()
}

declare module 'vitest' {
  export interface ProvidedContext {
    npmRegistry: SharedVerdaccio
  }
}
