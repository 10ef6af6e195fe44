import type { ValidateFunction } from 'ajv'
import { AttestError } from '../errors.ts'

let validator: ValidateFunction | undefined

interface SchemaError {
  readonly instancePath?: string
  readonly message?: string
}

function describe(errors: unknown): string {
  const list = Array.isArray(errors) ? (errors as SchemaError[]) : []
  if (list.length === 0) return JSON.stringify(errors).slice(0, 300)
  const shown = list.slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`)
  return shown.join('; ') + (list.length > 3 ? ` (and ${list.length - 3} more)` : '')
}

/**
 * Validates CycloneDX 1.6 JSON against the specification's strict schema (offline: the
 * schemas ship with @cyclonedx/cyclonedx-library, whose JsonStrictValidator this matches).
 * The validator is precompiled (ajv standalone code written by scripts/write-sbom-validator.ts):
 * compiling the schemas took ~0.4 s of CPU in every process that validated an SBOM.
 * ATTEST_SBOM_INVALID names `where` and the first problems.
 */
export async function validateSbom(text: string, where: string): Promise<void> {
  let json: { specVersion?: unknown; bomFormat?: unknown }
  try {
    json = JSON.parse(text) as typeof json
  } catch (cause) {
    throw new AttestError('ATTEST_SBOM_INVALID', `${where}: not valid JSON`, { cause })
  }
  if (json.bomFormat !== 'CycloneDX' || json.specVersion !== '1.6') {
    throw new AttestError(
      'ATTEST_SBOM_INVALID',
      `${where}: not a CycloneDX 1.6 document (bomFormat ${String(json.bomFormat)}, specVersion ${String(json.specVersion)})`,
      { hint: 'polyship writes and checks CycloneDX 1.6 JSON SBOMs' },
    )
  }
  // loaded by the first SBOM validated, not by every import of attest
  validator ??= (await import('./cyclonedx-validator.generated.js')).default
  if (!validator(json)) {
    const errors = validator.errors
    throw new AttestError(
      'ATTEST_SBOM_INVALID',
      `${where}: does not match the CycloneDX 1.6 schema: ${describe(errors)}`,
      {
        hint: 'a bug in whatever wrote the SBOM; if polyship wrote it, please report it',
      },
    )
  }
}
