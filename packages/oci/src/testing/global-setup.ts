import type { TestProject } from 'vitest/node'
import { type SharedRegistry, startRegistry } from './registry.ts'

/**
 * Root vitest globalSetup: starts ONE loopback docker-registry (no auth) per test run and
 * provides `{ host, url }` to every project's tests under the key `ociRegistry`:
 *
 *   import { inject } from 'vitest'
 *   import type {} from '@polyship/oci/testing' // brings the `ociRegistry` type
 *   const { host } = inject('ociRegistry')      // e.g. "127.0.0.1:40123"
 *
 * Tests share it: use repository names unique to the test (package + test name).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const registry = await startRegistry()
  const shared: SharedRegistry = { host: registry.host, url: registry.url }
  project.provide('ociRegistry', shared)
  return () => registry.stop()
}

declare module 'vitest' {
  export interface ProvidedContext {
    ociRegistry: SharedRegistry
  }
}
