import { projectSlug, releaseVersion } from '@polyship/binary'

/**
 * `<project>_<version>_server.json`, beside the project's archives and checksums. Its own
 * module: `polyship plan` names the file without loading what renders and signs it.
 */
export function serverJsonFileName(project: string, version: string): string {
  return `${projectSlug(project)}_${releaseVersion(version)}_server.json`
}
