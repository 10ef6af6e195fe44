/**
 * Test helpers for packages that publish npm packages: a real Verdaccio on a loopback
 * port. The root vitest globalSetup provides a shared one as `inject('npmRegistry')`.
 */
import type {} from './global-setup.ts'

export { type FakeNpmRegistry, type FakePublish, startFakeNpmRegistry } from './fake-registry.ts'
export { type SharedVerdaccio, startVerdaccio, type TestVerdaccio } from './verdaccio.ts'
