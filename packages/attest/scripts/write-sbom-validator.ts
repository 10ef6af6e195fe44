// Writes the precompiled CycloneDX 1.6 validator (src/sbom/cyclonedx-validator.generated.js)
// from the schemas @cyclonedx/cyclonedx-library ships. `pnpm --filter @polyship/attest
// sbom-validator` runs it; test/sbom-validator.test.ts fails when the committed file differs.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SBOM_VALIDATOR_FILE, SBOM_VALIDATOR_TYPES, sbomValidatorModule } from './sbom-validator-code.ts'

const attest = join(import.meta.dirname, '..')
writeFileSync(join(attest, SBOM_VALIDATOR_FILE), sbomValidatorModule())
writeFileSync(join(attest, SBOM_VALIDATOR_FILE.replace(/\.js$/, '.d.ts')), SBOM_VALIDATOR_TYPES)
