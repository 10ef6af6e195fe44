import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startVerdaccio } from '../packages/npm/src/testing/index.ts'
import { compare, POLYSHIP_BIN, releaseEnv, report, sh } from './harness.ts'

const count = Number(process.argv[2] ?? 10)
const runs = Number(process.argv[3] ?? 3)
const bin = POLYSHIP_BIN
const work = await mkdtemp(join(tmpdir(), 'polyship-bench-npm-'))
const verdaccio = await startVerdaccio()
const host = new URL(verdaccio.url).host
// The token in a user-level .npmrc, where both read it (pnpm expands no variables in a project one).
const userconfig = join(work, 'user.npmrc')
await writeFile(userconfig, `//${host}/:_authToken=${verdaccio.token}\n`)
const env = releaseEnv({ NPM_CONFIG_USERCONFIG: userconfig, npm_config_userconfig: userconfig })

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
