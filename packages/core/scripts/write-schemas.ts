// Writes what is generated from the config schemas in src/config/schema/: the editor JSON
// Schemas the `polyship` package ships (apps/release/schema/) and the precompiled validators
// (src/config/validators.generated.js). `pnpm --filter @polyship/core schemas` runs it (and
// formats the JSON); test/editor-schema.test.ts fails when a committed file differs.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { editorSchemas } from '../src/config/editor-schema.ts'
import { VALIDATORS_FILE, VALIDATORS_TYPES, validatorModule } from './validator-code.ts'

const core = join(import.meta.dirname, '..')
const shipped = join(core, '../../apps/release/schema')
mkdirSync(shipped, { recursive: true })
for (const [file, schema] of Object.entries(editorSchemas())) {
  writeFileSync(join(shipped, file), `${JSON.stringify(schema, null, 2)}\n`)
}
writeFileSync(join(core, VALIDATORS_FILE), validatorModule())
writeFileSync(join(core, VALIDATORS_FILE.replace(/\.js$/, '.d.ts')), VALIDATORS_TYPES)
