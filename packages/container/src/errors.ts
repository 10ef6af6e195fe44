import { PolyshipError } from '@polyship/core'

export type ContainerErrorCode =
  /** The base image has no manifest for a requested platform; the message lists what it has. */
  | 'CONTAINER_BASE_PLATFORM_MISSING'
  /** The base reference cannot be parsed, found or read (registry, OCI layout, unknown alias). */
  | 'CONTAINER_BASE_INVALID'
  /** No entrypoint/cmd at all, or the program it names is not an executable file in the image. */
  | 'CONTAINER_ENTRYPOINT_MISSING'
  /** A mapped path leaves the image root or the project directory (`..`), or a wheel entry does. */
  | 'CONTAINER_PATH_ESCAPES'
  /**
   * A name from a wheel or an artifact (console script, binary, distribution) that would become
   * a file or directory name in the image but is not one: empty, `.`, `..`, or holding `/`,
   * `\\`, NUL or control characters. Taken as is it would replace a directory (`.` is
   * /usr/local/bin itself) or land elsewhere.
   */
  | 'CONTAINER_NAME_INVALID'
  /** A user or group name that the image's /etc/passwd or /etc/group does not define. */
  | 'CONTAINER_USER_UNKNOWN'
  /** Two layers (or two mappings) put something at the same path. */
  | 'CONTAINER_DUPLICATE_PATH'
  /** No wheel whose tags fit the image platform and Python. */
  | 'CONTAINER_WHEEL_INCOMPATIBLE'
  /** A wheel is not a valid wheel (WHEEL/RECORD missing, a file that fails its RECORD hash). */
  | 'CONTAINER_WHEEL_INVALID'
  /** A platform of the image has no binary artifact to put in it. */
  | 'CONTAINER_ARTIFACT_MISSING'
  /** An image config value that polyship cannot use (duration, port, user syntax, tag template). */
  | 'CONTAINER_CONFIG_INVALID'
  /** A Dockerfile project and neither a reachable Docker daemon with buildx nor buildah. */
  | 'CONTAINER_BUILDER_MISSING'
  /** `docker buildx build` or `buildah bud` failed; the message carries the tail of its output. */
  | 'CONTAINER_BUILD_FAILED'
  /** A Python dependency of an image's wheel that no wheel in the index satisfies for a platform (or uv is missing). */
  | 'CONTAINER_DEPENDENCY_UNRESOLVABLE'
  /** A Python dependency that has only a source distribution for a platform: images install wheels only. */
  | 'CONTAINER_DEPENDENCY_SDIST_ONLY'
  /** The image's Python is not one a wheel's Requires-Python allows. */
  | 'CONTAINER_PYTHON_INCOMPATIBLE'
  /** The base has a Python, but not the interpreter the wheel image is configured for. */
  | 'CONTAINER_PYTHON_MISSING'
  /** The version tag already points at a different image: versions are immutable. */
  | 'CONTAINER_TAG_CONFLICT'
  /**
   * A Node image's package has no entry point (no `polyship.image.node.entry`, `bin` or
   * `main`), an ambiguous `bin`, or the entry file is not in the deployed tree.
   */
  | 'CONTAINER_NODE_ENTRY_MISSING'
  /** `pnpm deploy` of a Node image's package failed (not a pnpm workspace, lockfile out of date...). */
  | 'CONTAINER_NODE_DEPLOY_FAILED'
  /**
   * A dependency of a Node image holds a native addon (`.node`) built for other platforms
   * than one the image is built for; the message names the dependency and the platform.
   */
  | 'CONTAINER_NODE_NATIVE_ADDON'

/** Every failure of @polyship/container a user can act on: a stable code, a message naming the field or file, a hint. */
export class ContainerError extends PolyshipError<ContainerErrorCode> {}
