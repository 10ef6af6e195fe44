// Written by packages/core/scripts/write-schemas.ts; do not edit.
import type { ValidateFunction } from 'ajv'

/** Validates polyship.json. */
export declare const root: ValidateFunction
/** Validates a releasable project's package.json. */
export declare const project: ValidateFunction
