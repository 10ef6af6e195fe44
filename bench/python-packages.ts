/**
 * Pure-Python packages, build + publish (issue 16): `polyship release` of a workspace of N
 * hatchling packages to a loopback pypiserver vs what a user would run instead, `uv build`
 * of each package then one `twine upload` of every file, same run, interleaved, the index
 * emptied before every run. polyship's side also signs, writes SBOMs and provenance and
 * reconciles against the index; the peer does none of that, so the ratio is an upper bound
 * on polyship's overhead for the same files. Both use uv (pinned in tools/versions.sh) with
 * the same warm cache for the build backend.
 *   tools/run node bench/python-packages.ts [packages=20] [runs=3]
 */
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { commitWorkspace, compare, POLYSHIP_BIN, releaseEnv, report, sh } from './harness.ts'

const { startPypiServer } = await import('../packages/wheel/src/testing/index.ts')

const count = Number(process.argv[2] ?? 20)
const runs = Number(process.argv[3] ?? 3)
const _repo = join(import.meta.dirname, '..')
const bin = POLYSHIP_BIN
const work = await mkdtemp(join(tmpdir(), 'polyship-bench-python-packages-'))
const root = join(work, 'ws')
const server = await startPypiServer({ dir: join(work, 'index') })
const names = Array.from({ length: count }, (_, i) => `bench-pkg-${String(i).padStart(2, '0')}`)

await mkdir(root, { recursive: true })
await writeFile(join(root, 'package.json'), '{ "name": "bench", "version": "0.0.0", "private": true }\n')
await writeFile(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - packages/*\n')
await writeFile(join(root, '.gitignore'), 'dist/\n')
await writeFile(
  join(root, 'polyship.json'),
  `${JSON.stringify({ destinations: { wheels: { type: 'pypi', url: server.url } } }, null, 2)}\n`,
)
for (const name of names) {
  const dir = join(root, 'packages', name)
  const module = name.replaceAll('-', '_')
  await mkdir(join(dir, 'src', module), { recursive: true })
  await writeFile(
    join(dir, 'package.json'),
    `${JSON.stringify({ name, version: '1.0.0', private: true, polyship: { wheel: {} } }, null, 2)}\n`,
  )
  await writeFile(
    join(dir, 'pyproject.toml'),
    `[build-system]\nrequires = ["hatchling==1.33.0"]\nbuild-backend = "hatchling.build"\n\n[project]\nname = "${name}"\nversion = "1.0.0"\nrequires-python = ">=3.9"\n\n[tool.hatch.build.targets.wheel]\npackages = ["src/${module}"]\n`,
  )
  await writeFile(join(dir, 'src', module, '__init__.py'), `NAME = "${name}"\n`)
}
const env = releaseEnv({ TWINE_USERNAME: '__token__', TWINE_PASSWORD: 'unused' })
await commitWorkspace(root, env)

const empty = async () => {
  for (const f of await readdir(server.dir)) await rm(join(server.dir, f), { recursive: true, force: true })
  await rm(join(root, 'dist'), { recursive: true, force: true })
}
const polyship = () => sh(process.execPath, [bin, 'release', '--cwd', root], { cwd: root, env })
const peerOut = join(work, 'peer-dist')
const peer = async () => {
  await rm(peerOut, { recursive: true, force: true })
  for (const name of names) {
    await sh('uv', ['build', '--quiet', '--out-dir', peerOut, join(root, 'packages', name)], {
      cwd: root,
      env,
    })
  }
  const files = (await readdir(peerOut)).filter((f) => f.endsWith('.whl') || f.endsWith('.tar.gz'))
  await new Promise<void>((resolve, reject) =>
    execFile(
      'twine',
      [
        'upload',
        '--non-interactive',
        '--disable-progress-bar',
        '--repository-url',
        server.url,
        ...files.map((f) => join(peerOut, f)),
      ],
      { env },
      (error, stdout, stderr) => (error === null ? resolve() : reject(new Error(`${stdout}${stderr}`))),
    ),
  )
}

try {
  console.log(`${count} hatchling packages (wheel + sdist each) to pypiserver at ${server.url}`)
  // untimed warm-up of both: uv's cache holds hatchling, page cache, .pyc files
  await empty()
  await polyship()
  await empty()
  await peer()
  const results = await compare(
    [
      { name: 'polyship release (build, sign, SBOM, publish)', before: empty, run: polyship },
      { name: 'uv build x N + twine upload', before: empty, run: peer },
    ],
    runs,
  )
  report(`${count} pure-Python packages: build + publish`, results)
  await empty()
  await polyship()
  report(
    'no-change re-run (everything already on the index)',
    await compare([{ name: 'polyship release (unchanged)', run: polyship }], runs),
  )
} finally {
  await server.stop()
  await rm(work, { recursive: true, force: true })
}
