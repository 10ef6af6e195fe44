/**
 * Publishing a workspace's npm packages: `polyship release` (pack, reconcile against the
 * packument, publish, dist-tags, plus signatures, SBOMs and provenance) vs `pnpm publish -r`
 * to the same loopback Verdaccio, same run; then the no-change re-run of each.
 *
 *   tools/run node bench/npm-publish.ts [packages=10] [runs=3]
 *
 * Each round publishes a fresh scope (`@r<round><contender>/pkg-<n>`), so both contenders
 * always publish N new packages; the re-run repeats the same command with nothing new.
 */
import { generateKeyPairSync } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startVerdaccio } from '../packages/npm/src/testing/index.ts'
import { compare, report, sh } from './harness.ts'

const count = Number(process.argv[2] ?? 10)
const runs = Number(process.argv[3] ?? 3)
const bin = join(import.meta.dirname, '..', 'apps', 'release', 'src', 'bin.ts')
const work = await mkdtemp(join(tmpdir(), 'polyship-bench-npm-'))
const verdaccio = await startVerdaccio()
const host = new URL(verdaccio.url).host
// The token in a user-level .npmrc, where both read it (pnpm expands no variables in a project one).
const userconfig = join(work, 'user.npmrc')
await writeFile(userconfig, `//${host}/:_authToken=${verdaccio.token}\n`)
const env = {
  ...process.env,
  CI: 'true',
  NPM_CONFIG_USERCONFIG: userconfig,
  npm_config_userconfig: userconfig,
  // In CI polyship never generates a key: sign with a throwaway one passed in, as a runner would.
  POLYSHIP_SIGNING_KEY: generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString(),
  GIT_AUTHOR_NAME: 'b',
  GIT_AUTHOR_EMAIL: 'b@b',
  GIT_COMMITTER_NAME: 'b',
  GIT_COMMITTER_EMAIL: 'b@b',
}

let round = 0
/** A committed workspace of `count` small packages under a scope of its own. */
async function workspace(polyship: boolean): Promise<string> {
  const scope = `@r${round++}${polyship ? 'p' : 'n'}`
  const root = join(work, scope.slice(1))
  for (let n = 0; n < count; n++) {
    const dir = join(root, 'packages', `pkg-${n}`)
    await mkdir(dir, { recursive: true })
    const dependencies = n === 0 ? {} : { [`${scope}/pkg-0`]: 'workspace:^' }
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({
        name: `${scope}/pkg-${n}`,
        version: '1.0.0',
        type: 'module',
        main: 'index.js',
        dependencies,
        ...(polyship ? { polyship: { npm: { access: 'public' } } } : { publishConfig: { access: 'public' } }),
      }),
    )
    await writeFile(join(dir, 'index.js'), `export const n = ${n}\n${'// padding\n'.repeat(200)}`)
  }
  await writeFile(join(root, 'package.json'), '{ "name": "bench", "private": true }\n')
  await writeFile(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - packages/*\n')
  await writeFile(join(root, '.npmrc'), `registry=${verdaccio.url}\n`)
  await writeFile(join(root, '.gitignore'), 'dist/\nnode_modules/\n')
  await writeFile(
    join(root, 'polyship.json'),
    JSON.stringify({ destinations: { npm: { type: 'registry', url: verdaccio.url } } }),
  )
  await sh('git', ['init', '-q', '-b', 'main'], { cwd: root })
  await sh('git', ['add', '-A'], { cwd: root })
  await sh('git', ['commit', '-qm', 'bench'], { cwd: root, env })
  return root
}

try {
  let polyshipRoot = ''
  let pnpmRoot = ''
  const polyship = () => sh(process.execPath, [bin, 'release'], { cwd: polyshipRoot, env })
  const pnpm = () => sh('pnpm', ['publish', '-r', '--no-git-checks'], { cwd: pnpmRoot, env })
  report(
    `publish ${count} new packages (ratio: pnpm / polyship)`,
    await compare(
      [
        {
          name: 'polyship release',
          before: async () => {
            polyshipRoot = await workspace(true)
          },
          run: polyship,
        },
        {
          name: 'pnpm publish -r',
          before: async () => {
            pnpmRoot = await workspace(false)
          },
          run: pnpm,
        },
      ],
      runs,
    ),
  )
  report(
    `re-run, all ${count} already published (ratio: pnpm / polyship)`,
    await compare(
      [
        { name: 'polyship release', run: polyship },
        { name: 'pnpm publish -r', run: pnpm },
      ],
      runs,
    ),
  )
} finally {
  await verdaccio.stop()
  await rm(work, { recursive: true, force: true })
}
