/**
 * Attest benchmark: sign and attest (SLSA provenance) N release files (default 200,
 * 256 KiB each), with one key, offline:
 *   polyship: one process signing every file (`<file>.sigstore.json`) and writing a DSSE
 *             provenance bundle for it (`<file>.provenance.sigstore.json`)
 *   cosign:   what a release script does instead, per file: `cosign sign-blob --key` then
 *             `cosign attest-blob --key --type slsaprovenance1`
 * Both use the same cosign-format key (polyship generated it; empty passphrase) and write
 * the same two bundles per file; the last polyship output is checked with cosign.
 *   tools/run node bench/attest.ts [runs=3] [files=200]
 */
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  attestFiles,
  generateSigningKey,
  keySigner,
  provenanceStatement,
  readSigningKey,
} from '../packages/attest/src/index.ts'
import { sha256 } from '../packages/core/src/index.ts'
import { compare, report, sh } from './harness.ts'

const BUILDER = {
  id: 'https://polyship.dev/builders/local/v1',
  invocationId: 'urn:uuid:00000000-0000-4000-8000-000000000000',
  startedOn: new Date('2026-01-01T00:00:00Z'),
  finishedOn: new Date('2026-01-01T00:01:00Z'),
}

function provenanceFor(name: string, data: Uint8Array) {
  return provenanceStatement({
    subjects: [{ name, digest: sha256(data) }],
    project: 'bench',
    version: '1.0.0',
    source: { repository: 'https://github.com/acme/bench', ref: 'refs/heads/main', commit: 'a'.repeat(40) },
    builder: BUILDER,
  })
}

/** Worker mode: the polyship side, in its own process like a release run. */
async function worker(dir: string, keyPath: string): Promise<void> {
  const { readFile } = await import('node:fs/promises')
  const signer = keySigner(await readSigningKey(keyPath, ''))
  const names = (await readdir(dir)).filter((n) => n.endsWith('.bin'))
  const requests = await Promise.all(
    names.map(async (name) => ({
      path: join(dir, name),
      provenance: provenanceFor(name, await readFile(join(dir, name))),
    })),
  )
  await attestFiles(requests, signer)
}

if (process.argv[2] === '--worker') {
  await worker(process.argv[3]!, process.argv[4]!)
  process.exit(0)
}

const runs = Number(process.argv[2] ?? 3)
const count = Number(process.argv[3] ?? 200)
const work = await mkdtemp(join(tmpdir(), 'polyship-bench-attest-'))
const files = join(work, 'files')
await mkdir(files)
const names: string[] = []
for (let i = 0; i < count; i++) {
  const name = `app_1.0.0_${String(i).padStart(3, '0')}.bin`
  await writeFile(join(files, name), randomBytes(256 * 1024))
  names.push(name)
}
const { key } = await generateSigningKey(join(work, 'keys', 'cosign.key'))
const keyPath = join(work, 'keys', 'cosign.key')
const predicate = join(work, 'predicate.json')
await writeFile(predicate, JSON.stringify(provenanceFor('x', new Uint8Array()).predicate))
const env = { ...process.env, COSIGN_PASSWORD: '' }
const offline = ['--yes', '--key', keyPath, '--use-signing-config=false', '--tlog-upload=false']

/** Removes the bundles of the previous run so each contender writes all of them. */
async function clean(): Promise<void> {
  for (const name of await readdir(files)) if (!name.endsWith('.bin')) await rm(join(files, name))
}

const results = await compare(
  [
    {
      name: `polyship (1 process, ${count} files)`,
      before: clean,
      run: () => sh(process.execPath, [import.meta.filename, '--worker', files, keyPath]),
    },
    {
      name: `cosign sign-blob + attest-blob loop`,
      before: clean,
      run: async () => {
        for (const name of names) {
          const file = join(files, name)
          await sh('cosign', ['sign-blob', ...offline, '--bundle', `${file}.sigstore.json`, file], { env })
          await sh(
            'cosign',
            [
              'attest-blob',
              ...offline,
              '--type',
              'slsaprovenance1',
              '--predicate',
              predicate,
              '--bundle',
              `${file}.provenance.sigstore.json`,
              file,
            ],
            { env },
          )
        }
      },
    },
  ],
  runs,
)

// The polyship side must produce what cosign verifies: check one file of a fresh polyship run.
await clean()
await sh(process.execPath, [import.meta.filename, '--worker', files, keyPath])
const sample = join(files, names[0]!)
const pub = join(work, 'keys', 'cosign.pub')
await writeFile(pub, key.publicKeyPem)
await sh('cosign', [
  'verify-blob',
  '--key',
  pub,
  '--insecure-ignore-tlog',
  '--bundle',
  `${sample}.sigstore.json`,
  sample,
])
await sh('cosign', [
  'verify-blob-attestation',
  '--key',
  pub,
  '--insecure-ignore-tlog',
  '--type',
  'slsaprovenance1',
  '--bundle',
  `${sample}.provenance.sigstore.json`,
  sample,
])

report(`sign + attest ${count} files (256 KiB each), key signing, offline; ${runs} runs`, results)
for (const r of results) console.log(`  ${r.name.padEnd(32)} ${(r.medianMs / count).toFixed(1)} ms per file`)
console.log('  cosign verify-blob and verify-blob-attestation accept the polyship bundles')
await rm(work, { recursive: true, force: true })
