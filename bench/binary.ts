/**
 * Binary release benchmark: polyship building time-server-go for the five default
 * platforms, with archives and checksums, vs the same `go build` commands in a shell loop
 * plus `tar`/`zip`/`sha256sum`, in the same run.
 *   tools/run node bench/binary.ts [runs=5]
 *
 * Go build cache: the same state for both sides, warm for compiling, cold for linking.
 * One untimed warm-up run of each compiles every package for every platform; after that
 * both sides run identical go build commands (same env and flags) and compile nothing.
 * Every timed run gets a commit id never used before (-X main.commit), so every binary
 * is linked again, as in a real release; with identical -X values Go would serve the
 * linked binary from its cache (~80 ms) and the benchmark would time cache lookups.
 * A cold cache (-a or an empty GOCACHE) would add 20-60 s of compiling to both sides and
 * hide any overhead of ours; this is the strict comparison, and what a release sees after
 * CI's build step.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadWorkspace } from '@polyship/core'
import {
  buildBinaryRelease,
  buildGoBinaries,
  DEFAULT_PLATFORMS,
  readonlyGoflags,
} from '../packages/binary/src/index.ts'
import { compare, report, sh } from './harness.ts'

const runs = Number(process.argv[2] ?? 5)
const version = '0.1.0'
let runId = 0
let commit = ''
/** A fresh commit id before each timed run: forces the link step on both sides alike. */
const freshCommit = () => {
  commit = `${Date.now().toString(16)}${(++runId).toString(16)}`.padStart(40, '0')
}
const date = '2026-01-02T03:04:05Z'
const epoch = '1767323045'

const work = await mkdtemp(join(tmpdir(), 'polyship-bench-binary-'))
const projectDir = join(work, 'ws', 'time-server-go')
await cp(join(import.meta.dirname, '..', 'examples', 'time-server-go'), projectDir, {
  recursive: true,
  filter: (path) => !/[\\/](dist|node_modules)$/.test(path),
})
await writeFile(join(work, 'ws', 'pnpm-workspace.yaml'), 'packages:\n  - time-server-go\n')
const project = (await loadWorkspace(join(work, 'ws'))).projects[0]!
const env = { ...process.env, SOURCE_DATE_EPOCH: epoch }
const goflags = readonlyGoflags([process.env.GOFLAGS])

const polyshipOut = join(work, 'out-polyship')
const shellOut = join(work, 'out-shell')

const polyship = (concurrency: number) => () =>
  buildBinaryRelease(project, { outDir: polyshipOut, version, commit, date, env, concurrency })
const polyshipBuildOnly = () => buildGoBinaries(project, { outDir: polyshipOut, version, commit, date, env })

// What a maintainer would write by hand: GoReleaser's names, reproducible tar flags,
// the same gzip level (6) and zip level (9) as polyship's writers.
const script = `
set -e
cd "$PROJ"
for p in ${DEFAULT_PLATFORMS.join(' ')}; do
  os=\${p%/*}; arch=\${p#*/}; ext=; [ "$os" = windows ] && ext=.exe
  dir="$OUT/time-server-go_\${os}_\${arch}"; mkdir -p "$dir"
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch GOFLAGS="$GOFLAGS_RO" GOTOOLCHAIN=local go build -trimpath \\
    -ldflags "-s -w -X main.version=$V -X main.commit=$C -X main.date=$D" -o "$dir/time-server-go$ext" .
  [ -n "$BUILD_ONLY" ] && continue
  name="time-server-go_\${V}_\${os}_\${arch}"
  if [ "$os" = windows ]; then
    zip -q -X -j -9 "$OUT/$name.zip" "$dir/time-server-go$ext" LICENSE README.md
  else
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@$SOURCE_DATE_EPOCH \\
      -czf "$OUT/$name.tar.gz" LICENSE README.md -C "$dir" time-server-go
  fi
done
[ -n "$BUILD_ONLY" ] && exit 0
cd "$OUT" && sha256sum *.tar.gz *.zip > "time-server-go_\${V}_checksums.txt"
`
const shell =
  (buildOnly = false) =>
  () =>
    sh('sh', ['-c', script], {
      env: {
        ...env,
        PROJ: projectDir,
        OUT: shellOut,
        V: version,
        C: commit,
        D: date,
        GOFLAGS_RO: goflags,
        BUILD_ONLY: buildOnly ? '1' : '',
      },
    })

const clean = (dir: string) => async () => {
  freshCommit()
  await rm(dir, { recursive: true, force: true })
}

// Warm-up (untimed): fills the Go build cache for every platform, for both sides alike.
await clean(polyshipOut)()
await polyship(1)()
await clean(shellOut)()
await shell()()

const results = await compare(
  [
    { name: 'polyship (1 build at a time)', run: polyship(1), before: clean(polyshipOut) },
    { name: 'go build loop + tar/zip/sha256sum', run: shell(), before: clean(shellOut) },
    { name: 'polyship (concurrency 2)', run: polyship(2), before: clean(polyshipOut) },
    { name: 'polyship build only', run: polyshipBuildOnly, before: clean(polyshipOut) },
    { name: 'go build loop only', run: shell(true), before: clean(shellOut) },
  ],
  runs,
)
report(
  `time-server-go: 5 platforms + archives + checksums, compile cache warm, every link fresh, ${runs} runs`,
  results,
)
const [ours, peer, parallel, oursBuild, peerBuild] = results
console.log(
  `  polyship overhead vs the shell loop: ${((ours!.medianMs / peer!.medianMs - 1) * 100).toFixed(1)}% (target <= 10%)`,
)
console.log(
  `  build step alone (toolchain check, go build, build info, digests): ${((oursBuild!.medianMs / peerBuild!.medianMs - 1) * 100).toFixed(1)}% overhead`,
)
console.log(
  `  polyship with concurrency 2 vs the shell loop: ${(parallel!.medianMs / peer!.medianMs).toFixed(2)}x`,
)

// Same commands, same bytes: with the same commit, both sides' binaries must be identical.
await clean(polyshipOut)()
await polyshipBuildOnly()
await rm(shellOut, { recursive: true, force: true })
await shell(true)()
const same = await Promise.all(
  ['linux_amd64/time-server-go', 'windows_amd64/time-server-go.exe'].map(async (file) =>
    (await readFile(join(polyshipOut, `time-server-go_${file}`))).equals(
      await readFile(join(shellOut, `time-server-go_${file}`)),
    ),
  ),
)
console.log(`  binaries identical on both sides: ${same.every(Boolean) ? 'yes' : 'NO'}`)
await rm(work, { recursive: true, force: true })
