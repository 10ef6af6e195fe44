import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  editorSchemas,
  PACKAGE_SCHEMA_FILE,
  parseProjectManifest,
  parseRootConfig,
  ROOT_SCHEMA_FILE,
  ROOT_SCHEMA_URL,
  SCHEMA_BASE_URL,
} from '@polyship/core'
import { Ajv } from 'ajv'
import { describe, expect, it } from 'vitest'
import { VALIDATORS_FILE, VALIDATORS_TYPES, validatorModule } from '../scripts/validator-code.ts'

const repo = join(import.meta.dirname, '../../..')
const shipped = join(repo, 'apps/release/schema')
const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'))

/** A strict draft-07 ajv that knows VS Code's `markdownDescription` annotation. */
function editorAjv(): Ajv {
  const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true })
  ajv.addKeyword({ keyword: 'markdownDescription', schemaType: 'string' })
  return ajv
}

const schemas = editorSchemas()
const files = [ROOT_SCHEMA_FILE, PACKAGE_SCHEMA_FILE] as const
const validateRoot = editorAjv().compile(readJson(join(shipped, ROOT_SCHEMA_FILE)) as object)
const validatePackage = editorAjv().compile(readJson(join(shipped, PACKAGE_SCHEMA_FILE)) as object)

const examples = [
  'apps/release/package.json',
  'examples/time-server-go/package.json',
  'examples/echo-server-rust/package.json',
  'examples/fastjson-py/package.json',
  'examples/charts/mcp-stack/package.json',
]

describe('precompiled validators', () => {
  it(`the committed ${VALIDATORS_FILE} is what the generator writes (pnpm --filter @polyship/core schemas)`, () => {
    const core = join(import.meta.dirname, '..')
    expect(readFileSync(join(core, VALIDATORS_FILE), 'utf8')).toBe(validatorModule())
    expect(readFileSync(join(core, VALIDATORS_FILE.replace(/\.js$/, '.d.ts')), 'utf8')).toBe(VALIDATORS_TYPES)
  })
})

describe('editor JSON Schemas', () => {
  it.each(files)(
    'the committed apps/release/schema/%s is what the generator writes (pnpm --filter @polyship/core schemas)',
    (file) => {
      expect(readJson(join(shipped, file))).toEqual(JSON.parse(JSON.stringify(schemas[file])))
    },
  )

  it.each(files)('%s is a valid draft-07 schema with a stable $id', (file) => {
    const schema = readJson(join(shipped, file)) as Record<string, unknown>
    const ajv = editorAjv()
    expect(ajv.validateSchema(schema), ajv.errorsText()).toBe(true)
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#')
    expect(schema.$id).toBe(`${SCHEMA_BASE_URL}${file}`)
  })

  it('every description is also a markdownDescription (what VS Code shows)', () => {
    const text = readFileSync(join(shipped, PACKAGE_SCHEMA_FILE), 'utf8')
    expect(text.match(/"markdownDescription"/g)?.length).toBe(text.match(/"description": "/g)?.length)
    expect(text).toContain('"markdownDescription": "`static` (built-in minimal base')
  })

  it("accepts the repo's own polyship.json and the examples' package.json files", () => {
    expect(validateRoot(readJson(join(repo, 'polyship.json'))), JSON.stringify(validateRoot.errors)).toBe(
      true,
    )
    for (const file of examples) {
      expect(
        validatePackage(readJson(join(repo, file))),
        `${file}: ${JSON.stringify(validatePackage.errors)}`,
      ).toBe(true)
    }
  })

  it('a polyship.json naming its schema is valid for the editor and for polyship', () => {
    const config = { $schema: ROOT_SCHEMA_URL, repository: 'https://github.com/org/repo' }
    expect(validateRoot(config)).toBe(true)
    expect(parseRootConfig(config, 'polyship.json')).toEqual(config)
  })

  it('accepts a package.json without a polyship field (it sits beside the package.json schema)', () => {
    expect(validatePackage({ name: 'plain', version: '1.0.0', scripts: { test: 'vitest' } })).toBe(true)
  })

  it('rejects what the loader rejects, at the same field', () => {
    const wrongRoot = { destinations: { images: { type: 'registry' } }, signing: { mode: 'sigstore' } }
    expect(validateRoot(wrongRoot)).toBe(false)
    expect(validateRoot.errors?.map((e) => e.instancePath)).toEqual(
      expect.arrayContaining(['/destinations/images', '/signing/mode']),
    )
    expect(() => parseRootConfig(wrongRoot, 'polyship.json')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )

    const wrongProject = {
      name: 'srv',
      version: '1.0.0',
      polyship: { binary: { toolchain: 'zig', platforms: ['linux/amd64'] }, image: { bases: 'static' } },
    }
    expect(validatePackage(wrongProject)).toBe(false)
    expect(validatePackage.errors?.map((e) => `${e.instancePath} ${e.keyword}`)).toEqual(
      expect.arrayContaining(['/polyship/binary/toolchain enum', '/polyship/image required']),
    )
    expect(() => parseProjectManifest(wrongProject, 'package.json')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })
})
