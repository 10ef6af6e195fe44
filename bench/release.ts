/**
 * End-to-end release benchmark (issue 10): `polyship release` of examples/ into a fresh
 * dist/ vs the raw toolchain commands that release runs (go build x5, cargo build, maturin
 * build + sdist), same run, same warm toolchain caches; then the wall time of a re-run
 * with nothing changed (everything reconciled as unchanged).
 *   tools/run node bench/release.ts [runs=3]
 */
import { generateKeyPairSync } from 'node:crypto'
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compare, report, sh } from './harness.ts'

const runs = Number(process.argv[2] ?? 3)
const repo = join(import.meta.dirname, '..')
const bin = join(repo, 'apps', 'release', 'src', 'bin.ts')
const work = await mkdtemp(join(tmpdir(), 'polyship-bench-release-'))
const root = join(work, 'ws')
await cp(join(repo, 'examples'), join(root, 'examples'), {
  recursive: true,
  filter: (src) => !/\/(target|node_modules|dist)(\/|$)/.test(src),
})
await writeFile(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - examples/*\n  - examples/charts/*\n')
await writeFile(join(root, 'polyship.json'), JSON.stringify({ bases: { python: 'scratch' } }))
const env = {
  ...process.env,
  SOURCE_DATE_EPOCH: '1700000000',
  CI: 'true',
  // In CI polyship never generates a key: sign with a throwaway one passed in, as a runner would.
  POLYSHIP_SIGNING_KEY: generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString(),
  GIT_AUTHOR_NAME: 'b',
  GIT_AUTHOR_EMAIL: 'b@b',
  GIT_COMMITTER_NAME: 'b',
  GIT_COMMITTER_EMAIL: 'b@b',
}
await sh('git', ['init', '-q', '-b', 'main'], { cwd: root })
await sh('git', ['add', '-A'], { cwd: root })
await sh('git', ['commit', '-qm', 'bench'], { cwd: root, env })

const release = () => sh(process.execPath, [bin, 'release', '--cwd', root], { cwd: root, env })
const go = join(root, 'examples', 'time-server-go')
const rust = join(root, 'examples', 'echo-server-rust')
const py = join(root, 'examples', 'fastjson-py')
const raw = async () => {
  for (const [goos, goarch] of [
    ['linux', 'amd64'],
    ['linux', 'arm64'],
    ['darwin', 'amd64'],
    ['darwin', 'arm64'],
    ['windows', 'amd64'],
  ] as const) {
    await sh(
      'go',
      [
        'build',
        '-trimpath',
        '-ldflags',
        '-s -w -X main.version=0.1.0',
        '-o',
        join(work, 'raw', `${goos}-${goarch}`, 'time-server-go'),
        '.',
      ],
      {
        cwd: go,
        env: { ...env, CGO_ENABLED: '0', GOOS: goos, GOARCH: goarch },
      },
    )
  }
  await sh('cargo', ['build', '--release', '--locked', '--target', 'x86_64-unknown-linux-gnu'], {
    cwd: rust,
    env: { ...env, RUSTFLAGS: '-C target-feature=+crt-static' },
  })
  await sh(
    'maturin',
    [
      'build',
      '--release',
      '--zig',
      '--compatibility',
      'manylinux_2_17',
      '--out',
      join(work, 'raw', 'wheels'),
    ],
    { cwd: py, env },
  )
  await sh('maturin', ['sdist', '--out', join(work, 'raw', 'wheels')], { cwd: py, env })
}

// Warm every cache both sides use (Go build cache, cargo target dirs, the signing key).
await release()
await raw()
const results = await compare(
  [
    {
      name: 'polyship release (fresh dist/)',
      before: () => rm(join(root, 'dist'), { recursive: true, force: true }),
      run: release,
    },
    {
      name: 'raw go/cargo/maturin builds',
      before: () => rm(join(work, 'raw'), { recursive: true, force: true }),
      run: raw,
    },
  ],
  runs,
)
report(
  'release of examples/ (4 projects: 6 archives, 2 checksums, wheel + sdist, 3 images, 1 chart, all signed)',
  results,
)
const [polyship, peer] = results
console.log(
  `  overhead of polyship over the raw builds: ${(polyship!.medianMs / peer!.medianMs).toFixed(2)}x (packaging, images, chart, SBOMs, signing, publishing)`,
)

const rerun = await compare([{ name: 'polyship release, nothing changed', run: release }], runs)
report('re-run with everything already published', rerun)
await rm(work, { recursive: true, force: true })
