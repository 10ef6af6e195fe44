/**
 * GPG benchmark: detached ASCII-armoured signatures of N release files (default 50, 256 KiB
 * each) with one ed25519 key from $POLYSHIP_GPG_KEY, as a CI release does; `locked` gives
 * the key a passphrase (then gpg-agent unlocks it, an s2k derivation, for every signature):
 *   polyship: `openGpgSigner` (import into a private keyring, key check, test signature)
 *             then `signFiles` (gpg per file, 4 at once, one agent)
 *   gpg:      what a release script does instead: import the key, then
 *             `gpg --batch --pinentry-mode loopback --passphrase-fd 0 --detach-sign --armor` per file
 * Both import the key into a fresh keyring each run (a CI job starts with none), and both
 * write `<file>.asc` and run gpg through the same subprocess boundary (core's `run`); the
 * last polyship output is checked with `gpg --verify`.
 *   tools/run node bench/gpg.ts [runs=5] [files=50] [locked]
 */
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GPG_KEY_ENV, GPG_PASSPHRASE_ENV, openGpgSigner } from '../packages/attest/src/index.ts'
import { generateGpgKey, gpgTestEnv } from '../packages/attest/src/testing/index.ts'
import { run } from '../packages/core/src/index.ts'
import { compare, report } from './harness.ts'

const runs = Number(process.argv[2] ?? 5)
const count = Number(process.argv[3] ?? 50)
const locked = process.argv[4] === 'locked'
const passphrase = locked ? 'bench passphrase' : ''
const work = await mkdtemp(join(tmpdir(), 'psb-gpg-'))
const files = join(work, 'files')
await mkdir(files)
const paths: string[] = []
for (let i = 0; i < count; i++) {
  const path = join(files, `app_1.0.0_${String(i).padStart(3, '0')}.tar.gz`)
  await writeFile(path, randomBytes(256 * 1024))
  paths.push(path)
}
const key = await generateGpgKey(join(work, 'maker'), 'bench@example.com', { passphrase })
const env = {
  PATH: process.env.PATH,
  HOME: work,
  [GPG_KEY_ENV]: key.secretKey,
  [GPG_PASSPHRASE_ENV]: passphrase,
}

async function clean(): Promise<void> {
  for (const name of await readdir(files)) if (name.endsWith('.asc')) await rm(join(files, name))
}

async function polyship(): Promise<void> {
  const { signer, home } = await openGpgSigner(undefined, env, new Date())
  try {
    await signer.signFiles(paths)
  } finally {
    await home.dispose()
  }
}

let loops = 0
async function gpgLoop(): Promise<void> {
  const home = join(work, `loop-${loops++}`)
  await mkdir(home, { mode: 0o700 })
  const gpgEnv = gpgTestEnv(home)
  await run('gpg', ['--batch', '--import'], { env: gpgEnv, input: key.secretKey })
  for (const path of paths) {
    await run(
      'gpg',
      [
        '--batch',
        '--pinentry-mode',
        'loopback',
        '--passphrase-fd',
        '0',
        '--local-user',
        key.fingerprint,
        '--detach-sign',
        '--armor',
        '--output',
        `${path}.asc`,
        path,
      ],
      { env: gpgEnv, input: `${passphrase}\n` },
    )
  }
  await run('gpgconf', ['--kill', 'gpg-agent'], { env: gpgEnv })
  await rm(home, { recursive: true, force: true })
}

const results = await compare(
  [
    { name: `polyship signFiles (${count} files)`, before: clean, run: polyship },
    { name: 'gpg --detach-sign --armor loop', before: clean, run: gpgLoop },
  ],
  runs,
)

await clean()
await polyship()
const user = join(work, 'user')
await mkdir(user, { mode: 0o700 })
await run('gpg', ['--batch', '--import'], { env: gpgTestEnv(user), input: key.publicKey })
await run('gpg', ['--batch', '--verify', `${paths[0]}.asc`, paths[0]!], { env: gpgTestEnv(user) })
await run('gpgconf', ['--kill', 'gpg-agent'], { env: gpgTestEnv(user) })
await run('gpgconf', ['--kill', 'gpg-agent'], { env: gpgTestEnv(join(work, 'maker')) })
report(
  `GPG: detached armoured signatures of ${count} x 256 KiB files, ${locked ? 'passphrase-protected' : 'unprotected'} key, fresh keyring per run`,
  results,
)
await rm(work, { recursive: true, force: true })
