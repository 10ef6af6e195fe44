/**
 * Versioning benchmark, on a git copy of examples/ with changesets for time-server-go
 * (minor), echo-server-rust (patch) and fastjson (minor):
 *   1. `polyship version` (plan, changelogs, package.json, Cargo.toml/Cargo.lock,
 *      pyproject.toml, Chart.yaml) vs what a user scripts instead: `changeset version`,
 *      then `sed` on each Cargo.toml and `cargo update --workspace --offline` per lock
 *      (which still leaves pyproject.toml and Chart.yaml stale).
 *      A third line times `polyship --version`: the CLI's startup, included in the first.
 *   2. The Cargo.lock step alone: polyship's precise edit vs `cargo update --workspace --offline`.
 *   tools/run node bench/versioning.ts [runs=5]
 */
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { editToml, scanToml } from '../packages/versioning/src/index.ts'
import { compare, report, sh } from './harness.ts'

const runs = Number(process.argv[2] ?? 5)
const repo = join(import.meta.dirname, '..')
const work = await mkdtemp(join(tmpdir(), 'polyship-bench-versioning-'))
const skipped = new Set(['target', 'node_modules', '.venv', 'dist', '__pycache__'])
const env = {
  ...process.env,
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@polyship.invalid',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@polyship.invalid',
}
const git = (...args: string[]) => sh('git', args, { cwd: work, env })

await cp(join(repo, 'examples'), join(work, 'examples'), {
  recursive: true,
  filter: (source) => !skipped.has(basename(source)),
})
await cp(join(repo, '.changeset', 'config.json'), join(work, '.changeset', 'config.json'))
await writeFile(join(work, 'package.json'), '{ "name": "ws", "version": "0.0.0", "private": true }\n')
await writeFile(join(work, 'pnpm-workspace.yaml'), 'packages:\n  - examples/*\n  - examples/charts/*\n')
const changesets: Record<string, string> = {
  time: 'time-server-go": minor',
  echo: 'echo-server-rust": patch',
  json: 'fastjson": minor',
}
for (const [id, line] of Object.entries(changesets)) {
  await writeFile(join(work, '.changeset', `${id}.md`), `---\n"${line}\n---\n\nBench change\n`)
}
await git('init', '-q', '-b', 'main')
await git('add', '-A')
await git('commit', '-q', '-m', 'bench')
const reset = async () => {
  await git('checkout', '-q', '--', '.')
  await git('clean', '-fdq')
}

const crates = [
  { dir: 'examples/echo-server-rust', from: '0.1.0', to: '0.1.1' },
  { dir: 'examples/fastjson-py', from: '0.1.0', to: '0.2.0' },
]
const cli = join(repo, 'apps', 'release', 'src', 'bin.ts')
const changeset = join(repo, 'packages', 'versioning', 'node_modules', '.bin', 'changeset')

report(
  'version the examples: polyship version vs changeset version + sed + cargo update',
  await compare(
    [
      {
        name: 'polyship version',
        before: reset,
        run: () => sh(process.execPath, [cli, 'version', '--cwd', work]),
      },
      {
        name: 'changeset version + cargo update',
        before: reset,
        run: async () => {
          await sh(changeset, ['version'], { cwd: work })
          for (const crate of crates) {
            await sh('sed', ['-i', `s/^version = "${crate.from}"/version = "${crate.to}"/`, 'Cargo.toml'], {
              cwd: join(work, crate.dir),
            })
            await sh('cargo', ['update', '--workspace', '--offline', '--quiet'], {
              cwd: join(work, crate.dir),
            })
          }
        },
      },
      // What every polyship command pays before it starts working (Node, module loading).
      { name: 'polyship --version (startup only)', run: () => sh(process.execPath, [cli, '--version']) },
    ],
    runs,
  ),
)

// The lock step alone, on echo-server-rust's Cargo.lock after its Cargo.toml was bumped.
const echo = join(work, crates[0]!.dir)
const lockPath = join(echo, 'Cargo.lock')
const prepare = async () => {
  await reset()
  await sh('sed', ['-i', 's/^version = "0.1.0"/version = "0.1.1"/', 'Cargo.toml'], { cwd: echo })
}
report(
  'Cargo.lock after a version bump: precise edit vs cargo update --workspace --offline',
  await compare(
    [
      {
        name: 'polyship lock edit (in process)',
        before: prepare,
        run: async () => {
          const text = await readFile(lockPath, 'utf8')
          const index = scanToml(text, 'Cargo.lock').find(
            (span) => span.path[2] === 'name' && text.slice(span.start, span.end) === '"echo-server-rust"',
          )!.path[1]!
          await writeFile(
            lockPath,
            editToml(text, 'Cargo.lock', [{ path: ['package', index, 'version'], value: '0.1.1' }]),
          )
        },
      },
      {
        name: 'cargo update --workspace --offline',
        before: prepare,
        run: () => sh('cargo', ['update', '--workspace', '--offline', '--quiet'], { cwd: echo }),
      },
    ],
    runs,
  ),
)
await reset()
