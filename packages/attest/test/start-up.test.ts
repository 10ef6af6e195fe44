import { join } from 'node:path'
import { run } from '@polyship/core'
import { describe, expect, it } from 'vitest'
import { tempDir } from './helpers.ts'

const dir = tempDir('start-up')

describe('start-up cost', () => {
  it("checks a key-signed record's signature with node:crypto: neither @sigstore/verify nor packageurl-js (SBOMs, provenance) is loaded", async () => {
    const attest = join(import.meta.dirname, '..', 'src', 'index.ts')
    const script = [
      "const { registerHooks } = await import('node:module')",
      'const loaded = []',
      'registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context) } })',
      `const a = await import(${JSON.stringify(attest)})`,
      "const { writeFile } = await import('node:fs/promises')",
      `const { key } = await a.generateSigningKey(${JSON.stringify(join(dir(), 'cosign.key'))})`,
      'const signer = a.keySigner(key)',
      `const record = ${JSON.stringify(join(dir(), 'release.json'))}`,
      "const bytes = Buffer.from('{}\\n')",
      'await writeFile(record, bytes)',
      'await writeFile(a.recordSignaturePath(record), JSON.stringify(await signer.signBlob(bytes)))',
      'const verdict = await a.checkPreviousRecord(record, bytes, signer.ownPolicy)',
      'const unneeded = loaded.filter((url) => /\\/(packageurl-js|@sigstore\\/verify)\\//.test(url))',
      'console.log(JSON.stringify({ verdict, unneeded }))',
    ].join('\n')
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script])
    expect(JSON.parse(stdout)).toEqual({ verdict: 'signed', unneeded: [] })
  })
})
