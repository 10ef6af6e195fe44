/**
 * Test helpers for image builds: a runnable base image made from Debian's own packages
 * (python3, nodejs, ...) into an OCI layout, for test beds that cannot pull one.
 */
export { DEFAULT_DEBIAN_EXCLUDE, type DebianBase, type DebianBaseOptions, debianBase } from './debian-base.ts'
export { pushBaseManifest } from './layout-image.ts'
export {
  cachedPypiWheels,
  type PythonIndex,
  startPythonIndex,
  type TestWheelOptions,
  writeTestSdist,
  writeTestWheel,
} from './python-index.ts'
