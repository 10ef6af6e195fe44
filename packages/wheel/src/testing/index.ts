export {
  type FakePypiLog,
  type FakeTrustedPypi,
  type FakeTrustedPypiOptions,
  type FakeUpload,
  startFakeTrustedPypi,
} from './fake-pypi.ts'
export { freePort, type PypiServer, type PypiServerOptions, startPypiServer } from './pypiserver.ts'
export { type SyntheticWheelOptions, writeSyntheticSdist, writeSyntheticWheel } from './synthetic-wheel.ts'
