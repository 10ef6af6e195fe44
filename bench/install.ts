/**
 * Installing polyship as a user does, against the tools a user installs beside or instead
 * of it, same loopback registry, same run:
 *
 *   tools/run node bench/install.ts
 *
 * 1. `pnpm add -D <package>` into a fresh workspace from a loopback Verdaccio that holds the
 *    packed polyship and proxies everything else to npmjs: polyship vs @changesets/cli and
 *    nx. The pnpm store is shared and warm (the first round fills it), as on a developer
 *    machine or a CI cache hit; wall time, then installed size and package count.
 * 2. CLI cold start, `polyship --version` and `polyship plan`: the installed package (with
 *    Node's compile cache warm, as from the second run on, and with NODE_DISABLE_COMPILE_CACHE=1)
 *    vs the type-stripped sources this repository runs (`node apps/release/src/bin.ts`),
 *    all as whole processes. `pnpm pack` builds the package first (its prepack is tsdown).
 */
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startVerdaccio } from '../packages/npm/src/testing/index.ts'
import { compare, report, sh } from './harness.ts'

const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const REPO = join(import.meta.dirname, '..')
const UPSTREAM = process.env.BENCH_NPM_UPSTREAM ?? 'https://registry.npmjs.org/'
const PEERS = ['@changesets/cli@3.0.3', 'nx@24.0.6']

const work = await mkdtemp(join(tmpdir(), 'polyship-bench-install-'))
const verdaccio = await startVerdaccio({ uplink: { url: UPSTREAM, local: ['polyship'] } })
try {
  execFileSync('pnpm', ['pack', '--pack-destination', work], {
    cwd: join(REPO, 'apps/release'),
    stdio: 'ignore',
  })
  const tarball = (await readdir(work)).find((f) => f.startsWith('polyship-') && f.endsWith('.tgz'))!
  const npmrc = join(work, '.npmrc')
  const auth = `//${new URL(verdaccio.url).host}/:_authToken=${verdaccio.token}`
  await writeFile(npmrc, `registry=${verdaccio.url}\n${auth}\n`)
  execFileSync('npm', ['publish', join(work, tarball), '--userconfig', npmrc], { stdio: 'ignore' })

  const store = join(work, 'store')
  let round = 0
  const fresh = async (): Promise<string> => {
    const dir = join(work, `ws-${round++}`)
    await mkdir(dir)
    await writeFile(join(dir, 'package.json'), '{ "name": "bench-ws", "private": true }\n')
    await writeFile(join(dir, 'pnpm-workspace.yaml'), 'packages: []\nallowBuilds:\n  nx: false\n')
    await writeFile(join(dir, '.npmrc'), `registry=${verdaccio.url}\nstore-dir=${store}\n`)
    return dir
  }
  const installs = ['polyship', ...PEERS].map((spec) => {
    let dir = ''
    return {
      name: `pnpm add -D ${spec}`,
      spec,
      dirOf: () => dir,
      before: async () => {
        dir = await fresh()
      },
      run: () => sh('pnpm', ['add', '-D', spec], { cwd: dir }),
    }
  })
  // Warm the store and Verdaccio's proxy cache for every contender before timing any.
  for (const install of installs) {
    await install.before()
    await install.run()
  }
  report('pnpm add -D, warm store, loopback registry (ratio: peer / polyship)', await compare(installs, RUNS))
  console.log('\n  installed: node_modules/.pnpm, apparent size and packages')
  for (const install of installs) {
    const { bytes, packages } = await installedSize(join(install.dirOf(), 'node_modules', '.pnpm'))
    console.log(
      `  ${install.spec.padEnd(28)} ${(bytes / 2 ** 20).toFixed(1).padStart(7)} MiB  ${String(packages).padStart(4)} packages`,
    )
  }

  const user = installs[0]!.dirOf()
  const built = join(user, 'node_modules', '.bin', 'polyship')
  const source = join(REPO, 'apps', 'release', 'src', 'bin.ts')
  report(
    'polyship --version, whole process (ratio: other / built package)',
    await compare(
      [
        { name: 'built package (dist/)', run: () => sh(built, ['--version'], { cwd: user }) },
        {
          name: 'built, no compile cache',
          run: () =>
            sh(built, ['--version'], { cwd: user, env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' } }),
        },
        {
          name: 'sources (node src/bin.ts)',
          run: () => sh(process.execPath, [source, '--version'], { cwd: user }),
        },
      ],
      Math.max(RUNS, 10),
    ),
  )
  report(
    'polyship plan on an empty workspace, whole process',
    await compare(
      [
        { name: 'built package (dist/)', run: () => sh(built, ['plan'], { cwd: user }) },
        {
          name: 'built, no compile cache',
          run: () =>
            sh(built, ['plan'], { cwd: user, env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' } }),
        },
        {
          name: 'sources (node src/bin.ts)',
          run: () => sh(process.execPath, [source, 'plan'], { cwd: user }),
        },
      ],
      Math.max(RUNS, 10),
    ),
  )
} finally {
  await verdaccio.stop()
  await rm(work, { recursive: true, force: true })
}

/** Apparent size of every file, and the number of package directories pnpm installed. */
async function installedSize(pnpmDir: string): Promise<{ bytes: number; packages: number }> {
  let bytes = 0
  for (const entry of await readdir(pnpmDir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) bytes += (await stat(join(entry.parentPath, entry.name))).size
  }
  const packages = (await readdir(pnpmDir)).filter(
    (name) => name !== 'node_modules' && !name.startsWith('lock'),
  ).length
  return { bytes, packages }
}
