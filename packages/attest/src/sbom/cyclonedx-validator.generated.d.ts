// Written by packages/attest/scripts/write-sbom-validator.ts; do not edit.
import type { ValidateFunction } from 'ajv'

/** Validates a parsed CycloneDX 1.6 JSON document against the specification's strict schema. */
declare const validate: ValidateFunction
export default validate
