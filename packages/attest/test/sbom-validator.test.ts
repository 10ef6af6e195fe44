import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Spec, Validation } from '@cyclonedx/cyclonedx-library'
import { buildSbom, fileComponent, isAttestError, validateSbom } from '@polyship/attest'
import { sha256 } from '@polyship/core'
import { describe, expect, it } from 'vitest'
import {
  SBOM_VALIDATOR_FILE,
  SBOM_VALIDATOR_TYPES,
  sbomValidatorModule,
} from '../scripts/sbom-validator-code.ts'
import precompiled from '../src/sbom/cyclonedx-validator.generated.js'

const attest = join(import.meta.dirname, '..')

describe('precompiled CycloneDX validator', () => {
  it(`the committed ${SBOM_VALIDATOR_FILE} is what the generator writes (pnpm --filter @polyship/attest sbom-validator)`, () => {
    expect(readFileSync(join(attest, SBOM_VALIDATOR_FILE), 'utf8')).toBe(sbomValidatorModule())
    expect(readFileSync(join(attest, SBOM_VALIDATOR_FILE.replace(/\.js$/, '.d.ts')), 'utf8')).toBe(
      SBOM_VALIDATOR_TYPES,
    )
  })

  it('names no path of the machine that generated it', () => {
    const code = readFileSync(join(attest, SBOM_VALIDATOR_FILE), 'utf8')
    expect(code).not.toContain(join(attest, '../..'))
    expect(code).not.toMatch(/node_modules|\.pnpm/)
  })

  it("accepts and rejects what @cyclonedx/cyclonedx-library's JsonStrictValidator does, with the same errors", async () => {
    const { document } = await buildSbom(
      { kind: 'archive', name: 'notes.tar.gz', version: '1.0.0', digest: sha256('notes') },
      [fileComponent({ name: 'LICENSE', digest: sha256('license') })],
      { env: { SOURCE_DATE_EPOCH: '1700000000' } },
    )
    const valid = document as Record<string, unknown>
    const library = new Validation.JsonStrictValidator(Spec.Version.v1dot6)
    const component = { type: 'library', name: 'x' }
    const cases: Record<string, unknown> = {
      valid,
      'unknown component type': { ...valid, components: [{ type: 'gadget', name: 'x' }] },
      'unknown SPDX license id (spdx schema)': {
        ...valid,
        components: [{ ...component, licenses: [{ license: { id: 'Not-A-License-1.0' } }] }],
      },
      'known SPDX license id': {
        ...valid,
        components: [{ ...component, licenses: [{ license: { id: 'MIT' } }] }],
      },
      'timestamp not a date-time': { ...valid, metadata: { timestamp: 'yesterday' } },
      'author email not an idn-email': { ...valid, metadata: { authors: [{ email: 'not an email' }] } },
      'author email an idn-email': { ...valid, metadata: { authors: [{ email: 'dev@example.org' }] } },
      'signature without value (jsf schema)': { ...valid, signature: { algorithm: 'ES256' } },
      'signature algorithm neither known nor a uri (jsf schema)': {
        ...valid,
        signature: { algorithm: 'my own', value: 'AA' },
      },
      'signature algorithm a uri (jsf schema)': {
        ...valid,
        signature: { algorithm: 'https://example.org/alg', value: 'AA' },
      },
      'external reference URL (iri-reference: not checked)': {
        ...valid,
        externalReferences: [{ type: 'website', url: 'not a url at all' }],
      },
      'unknown property (strict)': { ...valid, extra: true },
      'wrong bomFormat': { ...valid, bomFormat: 'SPDX' },
    }
    for (const [name, value] of Object.entries(cases)) {
      const expected = await library.validate(JSON.stringify(value))
      const ours = precompiled(structuredClone(value)) ? null : precompiled.errors
      expect(ours, name).toEqual(expected)
    }
    expect(precompiled(valid)).toBe(true)
    expect(precompiled(cases['unknown SPDX license id (spdx schema)'])).toBe(false)
    expect(precompiled(cases['timestamp not a date-time'])).toBe(false)
    expect(precompiled(cases['author email not an idn-email'])).toBe(false)
    expect(precompiled(cases['signature without value (jsf schema)'])).toBe(false)
    expect(precompiled(cases['signature algorithm neither known nor a uri (jsf schema)'])).toBe(false)
    expect(precompiled(cases['signature algorithm a uri (jsf schema)'])).toBe(true)
    expect(precompiled(cases['external reference URL (iri-reference: not checked)'])).toBe(true)
  })

  it('validateSbom names the field at fault as before', async () => {
    const { document } = await buildSbom(
      { kind: 'archive', name: 'notes.tar.gz', version: '1.0.0', digest: sha256('notes') },
      [],
      { env: { SOURCE_DATE_EPOCH: '1700000000' } },
    )
    const broken = { ...(document as object), components: [{ type: 'gadget', name: 'x' }] }
    const error = await validateSbom(JSON.stringify(broken), 'notes.cdx.json').catch((e: unknown) => e)
    expect(isAttestError(error) && error.code).toBe('ATTEST_SBOM_INVALID')
    expect((error as Error).message).toBe(
      'notes.cdx.json: does not match the CycloneDX 1.6 schema: /components/0/type must be equal to one of the allowed values',
    )
    await expect(validateSbom(JSON.stringify(document), 'notes.cdx.json')).resolves.toBeUndefined()
  })
})
