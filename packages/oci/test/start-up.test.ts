import { join } from 'node:path'
import { run } from '@polyship/core'
import { describe, expect, inject, it } from 'vitest'

const { host } = inject('ociRegistry')

describe('start-up cost', () => {
  it('talks to a registry without loading undici (no ESM import of node:http)', async () => {
    const oci = join(import.meta.dirname, '..', 'src', 'index.ts')
    const script = [
      `const { RegistryClient } = await import(${JSON.stringify(oci)})`,
      'const client = new RegistryClient()',
      `await client.repository(${JSON.stringify(`${host}/oci-test/start-up`)}).resolve('v1')`,
      'client.close()',
      "console.log(JSON.stringify(process.moduleLoadList.filter((m) => m.includes('undici'))))",
    ].join('\n')
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script])
    expect(JSON.parse(stdout)).toEqual([])
  })
})
