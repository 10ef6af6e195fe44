import type { Validation } from '@cyclonedx/cyclonedx-library'
import { AttestError } from '../errors.ts'

let validator: Validation.JsonStrictValidator | undefined

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
 * schemas ship with @cyclonedx/cyclonedx-library). ATTEST_SBOM_INVALID names `where` and
 * the first problems.
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
  if (validator === undefined) {
    // loaded (and its schemas compiled) by the first SBOM validated, not by every import of attest
    const { Spec, Validation: validation } = await import('@cyclonedx/cyclonedx-library')
    validator ??= new validation.JsonStrictValidator(Spec.Version.v1dot6)
  }
  const errors = await validator.validate(text)
  if (errors !== null) {
    throw new AttestError(
      'ATTEST_SBOM_INVALID',
      `${where}: does not match the CycloneDX 1.6 schema: ${describe(errors)}`,
      {
        hint: 'a bug in whatever wrote the SBOM; if polyship wrote it, please report it',
      },
    )
  }
}
