import { isPolyshipError } from '@polyship/core'
import { InitError } from './errors.ts'

/**
 * Runs a manifest parser, turning its coded error (VERSION_MANIFEST_INVALID, HELM_CHART_INVALID...)
 * into INIT_MANIFEST_INVALID naming the file, so every bad manifest reads the same to init's users.
 */
export function parsing<T>(file: string, parse: () => T): T {
  try {
    return parse()
  } catch (error) {
    return asManifestError(file, error)
  }
}

/** `parsing` for a parser that returns a promise. */
export async function parsingAsync<T>(file: string, parse: () => Promise<T>): Promise<T> {
  try {
    return await parse()
  } catch (error) {
    return asManifestError(file, error)
  }
}

function asManifestError(file: string, error: unknown): never {
  if (!isPolyshipError(error) || error instanceof InitError) throw error
  const message = error.message.startsWith(file) ? error.message : `${file}: ${error.message}`
  return invalidManifest(
    message,
    error.hint ?? 'fix the file so that its own tool accepts it, then run polyship init again',
    error,
  )
}

export function invalidManifest(message: string, hint: string, cause?: unknown): never {
  throw new InitError('INIT_MANIFEST_INVALID', message, { hint, ...(cause === undefined ? {} : { cause }) })
}

/** A TOML/YAML table as a record ({} for anything else). */
export function table(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {}
}

export function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}
