import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { generateSigningKey } from '@polyship/attest'
import { run } from '@polyship/core'
import { main } from 'polyship'

const REPO = join(import.meta.dirname, '..', '..', '..')
const BIN = join(REPO, 'apps', 'release', 'src', 'bin.ts')

/** The example projects, by directory under examples/. */
export type ExampleDir = 'time-server-go' | 'echo-server-rust' | 'fastjson-py' | 'charts/mcp-stack'

export const ALL_EXAMPLES: readonly ExampleDir[] = [
  'time-server-go',
  'echo-server-rust',
  'fastjson-py',
  'charts/mcp-stack',
]

/**
 * Rust builds of test workspaces share a cargo target directory per vitest worker, so
 * maturin and cargo reuse compiled dependencies across workspaces and runs. Not one for all
 * workers: maturin moves the built library out of the target directory outside cargo's
 * lock, so two workers building fastjson at once in one directory race
 * (`failed to rename .../libfastjson_core.so`). A worker runs its files one at a time.
 */
export const CARGO_TARGET_DIR = join(
  tmpdir(),
  `polyship-release-test-cargo-${process.env.VITEST_POOL_ID ?? '0'}`,
)

export interface TestWorkspace {
  readonly root: string
  /** XDG_CONFIG_HOME of its releases, outside the repository: the default signing key lives in it. */
  readonly configHome: string
  /**
   * The environment releases run with: the throwaway XDG_CONFIG_HOME and, unless `ci: false`,
   * CI=true (then the default key is made beforehand: polyship never generates one in CI).
   */
  readonly env: Record<string, string>
  /** Replaces polyship.json (left uncommitted: a release does not need a clean tree). */
  configure(config: object): Promise<void>
  remove(): Promise<void>
}

const GIT_DATE = '2026-01-02T03:04:05Z'

/**
 * Commits everything in the work tree, as a maintainer does after `polyship version` (a
 * release refuses uncommitted changes in its projects). Fixed dates: the same files give
 * the same commit and SOURCE_DATE_EPOCH in every workspace.
 */
export async function commitAll(root: string, message: string): Promise<void> {
  await run('git', ['add', '-A'], { cwd: root })
  await run('git', ['commit', '-q', '--allow-empty', '-m', message], {
    cwd: root,
    env: gitIdentity(GIT_DATE),
  })
}

/** This process's environment with a fixed git author and committer, dated `date` (ISO 8601). */
export function gitIdentity(date: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_AUTHOR_NAME: 'polyship tests',
    GIT_AUTHOR_EMAIL: 'tests@polyship.invalid',
    GIT_COMMITTER_NAME: 'polyship tests',
    GIT_COMMITTER_EMAIL: 'tests@polyship.invalid',
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_DATE: date,
  }
}

/** The environment of this process minus anything that would point a release at real accounts. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || /TOKEN|^GITHUB_|^PYPI_|^POLYSHIP_|^ACTIONS_|^CI$/.test(name)) continue
    env[name] = value
  }
  return env
}

/**
 * The files of a minimal Go binary project at `dir` (a workspace path such as `go/one`):
 * package.json (version 1.0.0, private, `polyship.binary` for linux/amd64 plus `binary`),
 * go.mod (`module example.com/<name>`) and a main.go printing nothing.
 */
export function goProjectFiles(
  dir: string,
  options: {
    readonly name?: string
    readonly binary?: object
    /** Other `polyship` sections (`image`, ...). */
    readonly polyship?: object
    readonly main?: string
  } = {},
): Record<string, string> {
  const name = options.name ?? dir.slice(dir.lastIndexOf('/') + 1)
  return {
    [`${dir}/package.json`]: `${JSON.stringify({
      name,
      version: '1.0.0',
      private: true,
      polyship: {
        binary: { toolchain: 'go', platforms: ['linux/amd64'], ...options.binary },
        ...options.polyship,
      },
    })}\n`,
    [`${dir}/go.mod`]: `module example.com/${name}\n\ngo 1.22\n`,
    [`${dir}/main.go`]: options.main ?? 'package main\n\nfunc main() {}\n',
  }
}

/**
 * A git repository holding copies of the committed files of the chosen example projects, with
 * a pnpm-workspace.yaml and a polyship.json; `platforms` narrows a project's binary platforms
 * (keeps the Go builds of the tests to linux/amd64 + linux/arm64). The commit has fixed
 * dates, so the same files give the same commit and SOURCE_DATE_EPOCH in every workspace.
 */
export async function exampleWorkspace(
  options: {
    readonly projects?: readonly ExampleDir[]
    readonly platforms?: Partial<Record<ExampleDir, readonly string[]>>
    readonly config?: object
    /** Extra files by workspace path (`packages/lib/package.json`: content), committed with the rest. */
    readonly files?: Readonly<Record<string, string>>
    /** Extra pnpm-workspace.yaml globs (`packages/*`). */
    readonly globs?: readonly string[]
    /**
     * Release as CI does (default): CI=true, with a signing key provisioned at the default
     * path the way a runner holds one. `false`: a maintainer's machine, where polyship
     * generates the key on first use.
     */
    readonly ci?: boolean
  } = {},
): Promise<TestWorkspace> {
  const projects = options.projects ?? ALL_EXAMPLES
  const parent = await mkdtemp(join(tmpdir(), 'polyship-release-ws-'))
  const root = join(parent, 'repo')
  await mkdir(root)
  const tracked = (await run('git', ['ls-files', '-z', 'examples'], { cwd: REPO })).stdout
    .split('\0')
    .filter((file) => projects.some((p) => file.startsWith(`examples/${p}/`)))
  for (const file of tracked) {
    await mkdir(dirname(join(root, file)), { recursive: true })
    await cp(join(REPO, file), join(root, file))
  }
  for (const [project, platforms] of Object.entries(options.platforms ?? {})) {
    const manifest = join(root, 'examples', project, 'package.json')
    const json = JSON.parse(await readFile(manifest, 'utf8'))
    json.polyship.binary.platforms = platforms
    await writeFile(manifest, `${JSON.stringify(json, null, 2)}\n`)
  }
  for (const [file, content] of Object.entries(options.files ?? {})) {
    await mkdir(dirname(join(root, file)), { recursive: true })
    await writeFile(join(root, file), content)
  }
  const globs = [...projects.map((p) => `examples/${p}`), ...(options.globs ?? [])]
  await writeFile(join(root, 'pnpm-workspace.yaml'), `packages:\n${globs.map((g) => `  - ${g}\n`).join('')}`)
  await writeFile(join(root, 'package.json'), '{ "name": "release-test", "private": true }\n')
  await writeFile(join(root, '.gitignore'), 'dist*/\ntarget/\n')
  const configure = (config: object) =>
    writeFile(join(root, 'polyship.json'), `${JSON.stringify(config, null, 2)}\n`)
  await configure(
    options.config ?? { repository: 'https://github.com/polyship/polyship', bases: { python: 'scratch' } },
  )
  await run('git', ['init', '-q', '-b', 'main'], { cwd: root })
  await commitAll(root, 'examples')
  const configHome = join(parent, 'config')
  const ci = options.ci ?? true
  if (ci) await generateSigningKey(join(configHome, 'polyship', 'cosign.key'))
  return {
    root,
    configHome,
    env: { ...baseEnv(), XDG_CONFIG_HOME: configHome, CARGO_TARGET_DIR, ...(ci ? { CI: 'true' } : {}) },
    configure,
    remove: () => rm(parent, { recursive: true, force: true }),
  }
}

export interface CliResult {
  readonly code: number | null
  readonly signal?: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** `polyship <args>` in this process (`main`), output captured, stdout/stderr not terminals. */
export async function polyship(
  args: readonly string[],
  ws: { readonly root: string; readonly env: Record<string, string | undefined> },
): Promise<CliResult> {
  const out: string[] = []
  const err: string[] = []
  const code = await main(args, {
    stdout: { write: (text: string) => out.push(text) },
    stderr: { write: (text: string) => err.push(text) },
    env: ws.env,
    cwd: ws.root,
  })
  return { code, stdout: out.join(''), stderr: err.join('') }
}

/**
 * `node apps/release/src/bin.ts <args>` as a child process, the way `pnpm release` runs it.
 * `kill`: SIGKILL it `afterMs` after its stderr first matches `when`.
 */
export function polyshipProcess(
  args: readonly string[],
  ws: { readonly root: string; readonly env: Record<string, string | undefined> },
  kill?: { readonly when: RegExp; readonly afterMs: number },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ws.root, env: ws.env })
    let stdout = ''
    let stderr = ''
    let armed = kill !== undefined
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      if (armed && kill!.when.test(stderr)) {
        armed = false
        setTimeout(() => child.kill('SIGKILL'), kill!.afterMs)
      }
    })
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
}

/** Runs a tool and returns its stdout; throws with its stderr on failure. */
export async function tool(command: string, args: readonly string[], cwd?: string): Promise<string> {
  return (await run(command, args, { ...(cwd === undefined ? {} : { cwd }), timeoutMs: 120_000 })).stdout
}

/**
 * A workspace of npm packages under packages/ (`files` by workspace path), whose .npmrc takes
 * the token of `registryUrl` from NPM_TOKEN (`\${NPM_TOKEN?}`), as users write it.
 */
export function npmWorkspace(
  registryUrl: string,
  files: Readonly<Record<string, string>>,
  config?: object,
): Promise<TestWorkspace> {
  return exampleWorkspace({
    projects: [],
    globs: ['packages/*'],
    files: { '.npmrc': `//${new URL(registryUrl).host}/:_authToken=\${NPM_TOKEN?}\n`, ...files },
    ...(config === undefined ? {} : { config }),
  })
}

/** The tools a test run may start that `loggingTools` counts. */
export const COUNTED_TOOLS = [
  'git',
  'go',
  'helm',
  'cosign',
  'crane',
  'skopeo',
  'docker',
  'cargo',
  'python3',
  'uv',
]

/**
 * `workspace` with logging wrappers of `tools` (those installed here) first on PATH, and
 * `toolsRun()`: the tools started since the last call, by name, sorted (the log emptied).
 * `go env` is a question (the unit reuse key reads the effective GOFLAGS), not a build: not counted.
 */
export async function loggingTools(
  workspace: TestWorkspace,
  tools: readonly string[] = COUNTED_TOOLS,
): Promise<{
  readonly logged: TestWorkspace
  toolsRun(): Promise<string[]>
  /** Like `toolsRun`, every start (`git status`, `git log`, ...) in the order they ran. */
  callsRun(): Promise<string[]>
}> {
  const shims = join(workspace.root, '..', 'shims')
  const log = join(workspace.root, '..', 'tools.log')
  await mkdir(shims, { recursive: true })
  for (const name of tools) {
    let real: string
    try {
      real = execFileSync('sh', ['-c', `command -v ${name}`], { env: workspace.env, encoding: 'utf8' }).trim()
    } catch {
      continue // not installed: nothing to count
    }
    await writeFile(join(shims, name), `#!/bin/sh\necho "${name} $1" >> '${log}'\nexec '${real}' "$@"\n`)
    await chmod(join(shims, name), 0o755)
  }
  const calls = async () => {
    const text = existsSync(log) ? await readFile(log, 'utf8') : ''
    await rm(log, { force: true })
    return text.split('\n').filter((line) => line !== '' && line !== 'go env')
  }
  return {
    logged: {
      ...workspace,
      env: { ...workspace.env, PATH: `${shims}:${workspace.env.PATH ?? process.env.PATH}` },
    },
    async toolsRun() {
      return [...new Set((await calls()).map((line) => line.split(' ')[0]!))].sort()
    },
    callsRun: calls,
  }
}

/**
 * A Go service `svc` with a static-base image for linux/amd64, and a chart `svc-chart`
 * depending on it whose ConfigMap names the image by digest.
 */
export function serviceWithChartFiles(): Record<string, string> {
  return {
    ...goProjectFiles('svc', {
      polyship: { image: { base: 'static', platforms: ['linux/amd64'], entrypoint: ['/usr/local/bin/svc'] } },
    }),
    'svc-chart/package.json': `${JSON.stringify({
      name: 'svc-chart',
      version: '1.0.0',
      private: true,
      dependencies: { svc: 'workspace:*' },
      polyship: { chart: { images: { image: 'svc' } } },
    })}\n`,
    'svc-chart/Chart.yaml': 'apiVersion: v2\nname: svc-chart\nversion: 1.0.0\nappVersion: "1.0.0"\n',
    'svc-chart/values.yaml': 'image:\n  repository: svc\n  tag: latest\n  digest: ""\n',
    'svc-chart/templates/configmap.yaml':
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  image: "{{ .Values.image.repository }}@{{ .Values.image.digest }}"\n',
  }
}
