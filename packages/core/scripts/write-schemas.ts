// Writes the editor JSON Schemas the `polyship` package ships (apps/release/schema/) from the
// config schemas in src/config/schema/. `pnpm --filter @polyship/core schemas` runs it (and
// formats the files); the editor-schema test fails when the committed files differ.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { editorSchemas } from '../src/config/editor-schema.ts'

const dir = join(import.meta.dirname, '../../../apps/release/schema')
mkdirSync(dir, { recursive: true })
for (const [file, schema] of Object.entries(editorSchemas())) {
  writeFileSync(join(dir, file), `${JSON.stringify(schema, null, 2)}\n`)
}
