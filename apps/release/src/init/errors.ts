import { PolyshipError } from '@polyship/core'

export type InitErrorCode =
  /** The directory to initialize does not exist or is not a directory. */
  | 'INIT_NOT_A_DIRECTORY'
  /** Nothing polyship can release was found. */
  | 'INIT_NO_PROJECTS'
  /** A manifest (go.mod, Cargo.toml, pyproject.toml, Chart.yaml, package.json, ...) cannot be parsed or lacks what init needs. */
  | 'INIT_MANIFEST_INVALID'
  /** Writing what the workspace needs would replace content the user wrote. */
  | 'INIT_WOULD_OVERWRITE'
  /** A workflow template is missing from the installed package. */
  | 'INIT_TEMPLATE_MISSING'

export class InitError extends PolyshipError<InitErrorCode> {}
