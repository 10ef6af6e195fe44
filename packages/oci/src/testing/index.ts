/**
 * Test helpers for every package that talks OCI: real registries on loopback ports, a
 * fault-injecting proxy, hostile servers (hangs, drips, lies, huge pages), a fake token issuer and referrers API, and a test image builder.
 * The root vitest globalSetup provides a shared registry as `inject('ociRegistry')`.
 */
import type {} from './global-setup.ts'

export {
  type FaultAction,
  type FaultProxy,
  type FaultProxyOptions,
  mulberry32,
  startFaultProxy,
} from './fault-proxy.ts'
export {
  codedFailure,
  HOSTILE_LIMITS,
  HOSTILE_MODES,
  type HostileMode,
  type HostileServer,
  type HostileServerOptions,
  startHostileServer,
} from './hostile-server.ts'
export { pushTestImage, randomBytes, type TestImage, type TestImageOptions } from './image.ts'
export { type ReferrersFake, startReferrersFake } from './referrers-fake.ts'
export {
  freePort,
  type SharedRegistry,
  startRegistry,
  type TestRegistry,
  type TestRegistryAuth,
} from './registry.ts'
export { stopProcess, waitUntilAnswering } from './server-process.ts'
export {
  startTokenIssuer,
  type TokenIssuer,
  type TokenIssuerOptions,
  type TokenRequest,
} from './token-issuer.ts'
