import { spawn } from 'node:child_process'
import { generateKeyPairSync, randomFillSync } from 'node:crypto'
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs'
import { cp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'

/**
 * Shared benchmark harness: every benchmark times polyship and the peer a user would pick
 * instead in the same run, alternating them, and reports the ratio of medians.
 */
export interface Timed {
  readonly name: string
  readonly samplesMs: readonly number[]
  readonly medianMs: number
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Runs each contender `runs` times, interleaved (A B A B ...) so drift hits both alike; `before` resets state. */
export async function compare(
  contenders: readonly { name: string; run: () => Promise<unknown>; before?: () => Promise<unknown> }[],
  runs = 5,
): Promise<Timed[]> {
  const samples = contenders.map(() => [] as number[])
  for (let i = 0; i < runs; i++) {
    for (const [index, contender] of contenders.entries()) {
      await contender.before?.()
      const start = performance.now()
      await contender.run()
      samples[index]!.push(performance.now() - start)
    }
  }
  return contenders.map((c, i) => ({ name: c.name, samplesMs: samples[i]!, medianMs: median(samples[i]!) }))
}

/** Prints a result table and the ratio of each contender's median to the first one's (polyship). */
export function report(title: string, results: readonly Timed[]): void {
  const base = results[0]!
  console.log(`\n${title}`)
  for (const r of results) {
    const ratio = r.medianMs / base.medianMs
    console.log(
      `  ${r.name.padEnd(32)} median ${r.medianMs.toFixed(0).padStart(7)} ms  (${r.samplesMs.map((s) => s.toFixed(0)).join(', ')})  ${r === base ? '' : `peer/polyship = ${ratio.toFixed(2)}`}`,
    )
  }
}

/** Runs a command and returns its peak RSS in MiB, read from GNU time's -f %M. */
export async function peakRssMiB(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%M', command, ...args], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    child.on('error', reject)
    child.on('close', (code) => {
      const kib = Number(stderr.trim().split('\n').pop())
      if (code !== 0 || Number.isNaN(kib)) reject(new Error(`${command} failed (${code}): ${stderr}`))
      else resolve(kib / 1024)
    })
  })
}

/** Runs a command to completion, rejecting on a non-zero exit; for peers in benchmarks. */
export function sh(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    child.on('error', reject)
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`)),
    )
  })
}

/**
 * A tree like a release payload in `dir`: `file` of `sizeMiB`, alternating 1 MiB of random
 * (incompressible) and text-like bytes, and a README.md.
 */
export function writePayloadTree(dir: string, file: string, sizeMiB: number): void {
  mkdirSync(dir, { recursive: true })
  const fd = openSync(join(dir, file), 'w')
  const chunk = Buffer.alloc(1 << 20)
  for (let i = 0; i < sizeMiB; i++) {
    if (i % 2 === 0) randomFillSync(chunk)
    else chunk.fill(`line ${i} of a fairly repetitive log file\n`)
    writeSync(fd, chunk)
  }
  closeSync(fd)
  writeFileSync(join(dir, 'README.md'), '# bench\n')
}

/**
 * Runs a command to completion and returns its wall time, CPU time (user + system, its
 * children included) and peak RSS, from GNU time; rejects on failure. On a shared machine
 * the CPU time is the steadier figure.
 */
export function timedProcess(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ readonly ms: number; readonly cpuMs: number; readonly rssMiB: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const child = spawn('/usr/bin/time', ['-f', 'bench-time %M %U %S', command, ...args], {
      ...options,
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    child.on('error', reject)
    child.on('close', (code) => {
      const ms = performance.now() - start
      const [, kib, user, system] = /bench-time (\d+) ([\d.]+) ([\d.]+)\s*$/.exec(stderr) ?? []
      if (code !== 0 || kib === undefined)
        reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(-3000)}`))
      else resolve({ ms, cpuMs: (Number(user) + Number(system)) * 1000, rssMiB: Number(kib) / 1024 })
    })
  })
}

/** The polyship CLI from the sources, as the benches run it. */
export const POLYSHIP_BIN = join(import.meta.dirname, '..', 'apps', 'release', 'src', 'bin.ts')

const RELEASE_APP = join(import.meta.dirname, '..', 'apps', 'release')

/** The built CLI, what `npm i polyship` installs (`publishConfig.bin`): apps/release/dist/bin.js. */
export const BUILT_POLYSHIP_BIN = join(RELEASE_APP, 'dist', 'bin.js')

/** Newest modification time of the files under `dir` (node_modules, dist and test left out). */
async function newestMtime(dir: string): Promise<number> {
  let newest = 0
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || /(^|\/)(node_modules|dist|test)(\/|$)/.test(entry.parentPath.slice(dir.length)))
      continue
    newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs)
  }
  return newest
}

/**
 * The built CLI, rebuilt first (`pnpm --filter polyship build`, tsdown) when apps/release or
 * a workspace package it bundles changed since dist/bin.js was written: benches time what a
 * user installs, not the type-stripped sources.
 */
export async function builtPolyship(): Promise<string> {
  const built = await stat(BUILT_POLYSHIP_BIN).then(
    (s) => s.mtimeMs,
    () => 0,
  )
  const repo = join(import.meta.dirname, '..')
  const sources = [
    join(RELEASE_APP, 'src'),
    join(RELEASE_APP, 'package.json'),
    join(RELEASE_APP, 'tsdown.config.ts'),
  ]
  for (const name of await readdir(join(repo, 'packages'))) sources.push(join(repo, 'packages', name, 'src'))
  let newest = 0
  for (const source of sources) {
    const s = await stat(source)
    newest = Math.max(newest, s.isDirectory() ? await newestMtime(source) : s.mtimeMs)
  }
  if (newest > built) {
    console.log('building the polyship package (apps/release/dist)...')
    await sh('pnpm', ['--filter', 'polyship', 'run', 'build'], { cwd: repo })
  }
  return BUILT_POLYSHIP_BIN
}

/**
 * An earlier build of the CLI to time beside the current one in the same run, interleaved:
 * `BENCH_BASELINE=<path of its bin.js>` (inside a checkout whose node_modules resolve its
 * dependencies, e.g. a copy of apps/release/dist kept as apps/release/dist-before).
 */
export function baselinePolyship(): string | undefined {
  const bin = process.env.BENCH_BASELINE
  return bin === undefined || bin === '' ? undefined : bin
}

/**
 * Puts a released workspace back to before its first release: dist/ removed and every git
 * tag deleted (a release tags the commit; the next one would find the tag and skip).
 */
export async function unrelease(root: string, outDir = 'dist'): Promise<void> {
  await rm(join(root, outDir), { recursive: true, force: true })
  const tags = await new Promise<string[]>((resolve, reject) => {
    const child = spawn('git', ['tag', '--list'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
    })
    child.on('error', reject)
    child.on('close', () => resolve(out.split('\n').filter((t) => t !== '')))
  })
  if (tags.length > 0) await sh('git', ['tag', '--delete', ...tags], { cwd: root })
}

/**
 * The environment a bench release runs in, as a CI runner's: `CI=true` (so no key is ever
 * generated), a throwaway signing key passed in, a fixed SOURCE_DATE_EPOCH and a git identity.
 */
export function releaseEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    SOURCE_DATE_EPOCH: '1700000000',
    CI: 'true',
    POLYSHIP_SIGNING_KEY: generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString(),
    GIT_AUTHOR_NAME: 'b',
    GIT_AUTHOR_EMAIL: 'b@b',
    GIT_COMMITTER_NAME: 'b',
    GIT_COMMITTER_EMAIL: 'b@b',
    ...extra,
  }
}

/** `git init` + one commit of everything in `root`. */
export async function commitWorkspace(root: string, env: NodeJS.ProcessEnv): Promise<void> {
  await sh('git', ['init', '-q', '-b', 'main'], { cwd: root })
  await sh('git', ['add', '-A'], { cwd: root })
  await sh('git', ['commit', '-qm', 'bench'], { cwd: root, env })
}

/**
 * A copy of this repository's examples/ as a workspace at `root` (build outputs left out,
 * the Python base replaced by scratch: no registry here), committed.
 */
export async function examplesWorkspace(root: string, env: NodeJS.ProcessEnv): Promise<void> {
  const repo = join(import.meta.dirname, '..')
  await cp(join(repo, 'examples'), join(root, 'examples'), {
    recursive: true,
    filter: (src) => !/\/(target|node_modules|dist)(\/|$)/.test(src),
  })
  await writeFile(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - examples/*\n  - examples/charts/*\n')
  await writeFile(join(root, 'polyship.json'), JSON.stringify({ bases: { python: 'scratch' } }))
  await commitWorkspace(root, env)
}

/** A contender that is one whole process (or a few, one after another), its CPU time kept beside the wall time. */
export interface ProcessContender {
  readonly name: string
  readonly run: () => Promise<unknown>
  readonly before?: () => Promise<unknown>
  /** CPU time (user + system, children included) of each run, in the order of the runs. */
  readonly cpuMs: number[]
}

/**
 * A contender running `steps` (command, args) one after another as whole processes through
 * GNU time; its CPU time per run is summed over the steps. `args` may be a function so each
 * run can name a fresh version or directory.
 */
export function processContender(
  name: string,
  steps: () => readonly (readonly [command: string, args: readonly string[]])[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; before?: () => Promise<unknown> } = {},
): ProcessContender {
  const cpuMs: number[] = []
  return {
    name,
    cpuMs,
    ...(options.before === undefined ? {} : { before: options.before }),
    run: async () => {
      let cpu = 0
      for (const [command, args] of steps()) {
        const { cwd, env } = options
        cpu += (await timedProcess(command, args, { ...(cwd ? { cwd } : {}), ...(env ? { env } : {}) })).cpuMs
      }
      cpuMs.push(cpu)
    },
  }
}

/** Prints wall medians (as `report`) and then the CPU medians of process contenders, ratio to the first. */
export function reportProcesses(
  title: string,
  contenders: readonly ProcessContender[],
  results: readonly Timed[],
): void {
  report(title, results)
  const base = median(contenders[0]!.cpuMs)
  for (const c of contenders) {
    const cpu = median(c.cpuMs)
    console.log(
      `  ${`${c.name} (cpu)`.padEnd(32)} median ${cpu.toFixed(0).padStart(7)} ms  ${c === contenders[0] ? '' : `peer/polyship = ${(cpu / base).toFixed(2)}`}`,
    )
  }
  console.log(
    `  load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  )
}
