export { type FakeMcpRegistry, type FakePublish, startFakeMcpRegistry } from './fake-registry.ts'
