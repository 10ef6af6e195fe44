import { PolyshipError } from '@polyship/core'

export type CliErrorCode = 'CLI_USAGE' | 'CLI_UNKNOWN_COMMAND' | 'CLI_UNKNOWN_PROJECT' | 'CLI_DOWNLOAD_FAILED'

export class CliError extends PolyshipError<CliErrorCode> {}
