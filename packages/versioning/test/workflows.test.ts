import { cp, glob, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { run } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { repoRoot } from './workspace.ts'

/**
 * The GitHub workflows polyship runs on itself (.github/workflows), the action users run
 * (action.yml) and the workflows `polyship init` writes into users' repositories
 * (apps/release/templates/github), checked against what they talk to: each action's real
 * inputs and outputs (action.yml of every action used, pinned under fixtures/actions with
 * its source), the outputs our own steps write, and the environment variables something
 * reads. Plus actionlint on all of it.
 */

interface Step {
  readonly id?: string
  readonly uses?: string
  readonly run?: string
  readonly with?: Record<string, unknown>
  readonly env?: Record<string, unknown>
}
interface Job {
  readonly permissions?: Record<string, string>
  readonly needs?: string | string[]
  readonly if?: string
  readonly outputs?: Record<string, string>
  readonly env?: Record<string, unknown>
  readonly strategy?: { matrix: Record<string, unknown> }
  readonly steps: Step[]
}
interface Workflow {
  readonly on: Record<string, unknown>
  readonly permissions: Record<string, string>
  readonly env?: Record<string, unknown>
  readonly jobs: Record<string, Job>
}
interface ActionContract {
  readonly inputs?: Record<string, { readonly required?: boolean; readonly default?: unknown } | null>
  readonly outputs?: Record<string, unknown>
  readonly runs: { readonly using: string; readonly steps?: Step[] }
}

const workflows = join(repoRoot, '.github', 'workflows')
const templates = join(repoRoot, 'apps', 'release', 'templates', 'github')
const contracts = join(import.meta.dirname, 'fixtures', 'actions')
/** What `__POLYSHIP_VERSION__` becomes when `polyship init` writes the templates. */
const TEMPLATE_VERSION = '1.2.3'

/** A workflow file to check: ours, or a template with its placeholder filled in. */
interface WorkflowFile {
  readonly name: string
  readonly text: string
  readonly workflow: Workflow
}

async function workflowFiles(): Promise<WorkflowFile[]> {
  const files: WorkflowFile[] = []
  for (const [dir, prefix] of [
    [workflows, '.github/workflows'],
    [templates, 'templates/github'],
  ] as const) {
    for await (const file of glob('*.yml', { cwd: dir })) {
      const text = (await readFile(join(dir, file), 'utf8')).replaceAll(
        '__POLYSHIP_VERSION__',
        TEMPLATE_VERSION,
      )
      files.push({ name: `${prefix}/${file}`, text, workflow: parse(text) as Workflow })
    }
  }
  return files.sort((a, b) => a.name.localeCompare(b.name))
}

const ourAction = async () => parse(await readFile(join(repoRoot, 'action.yml'), 'utf8')) as ActionContract

/** The contract of `uses:`: our action for `./` and polyship/polyship, else the pinned action.yml of that major. */
async function contractOf(uses: string): Promise<ActionContract> {
  if (uses === './' || uses.startsWith('polyship/polyship@')) return ourAction()
  const [repo, ref = ''] = uses.split('@')
  const major = /^v\d+/.exec(ref)?.[0]
  const file = join(contracts, `${repo!.replace('/', '__')}@${major}.action.yml`)
  const text = await readFile(file, 'utf8').catch(() => {
    throw new Error(
      `${uses}: no pinned contract; add its action.yml (with its source URL and commit) as ${basename(file)}`,
    )
  })
  return parse(text) as ActionContract
}

/** Outputs polyship writes to GITHUB_OUTPUT in Actions: the fields of ActionsReport.outputs. */
async function polyshipOutputs(): Promise<string[]> {
  const source = await readFile(join(repoRoot, 'apps', 'release', 'src', 'github-actions.ts'), 'utf8')
  const block = /readonly outputs: \{([^}]*)\}/.exec(source)?.[1] ?? ''
  return [...block.matchAll(/readonly (\w+):/g)].map((m) => m[1]!)
}

/**
 * Environment variables polyship reads, found in its sources the way a reviewer would grep:
 * `env.X`, `env['X']` (process.env, deps.env, context.env) and `*_ENV = 'X'` constants.
 */
async function polyshipReads(): Promise<Set<string>> {
  const names = new Set<string>()
  for await (const file of glob('{packages,apps}/*/src/**/*.ts', { cwd: repoRoot })) {
    const source = await readFile(join(repoRoot, file), 'utf8')
    for (const m of source.matchAll(/\benv\.([A-Z][A-Z0-9_]*)|\benv\[['"]([A-Z][A-Z0-9_]*)['"]\]/g))
      names.add((m[1] ?? m[2])!)
    for (const m of source.matchAll(/[A-Z_]+_ENVS?\s*=\s*(\[[^\]]*\]|'[^']*')/g)) {
      for (const name of m[1]!.matchAll(/'([A-Z][A-Z0-9_]*)'/g)) names.add(name[1]!)
    }
  }
  return names
}

/** Variables read by tools our workflows run, not by polyship or the workflow's own scripts. */
const KNOWN_READERS: Record<string, string> = {
  // Nx: run without Nx Cloud (no account, no remote cache) in this repository's CI.
  NX_NO_CLOUD: 'nx',
}

/** Every string in a YAML value, for finding the expressions in it. */
const strings = (value: unknown): string[] =>
  typeof value === 'string'
    ? [value]
    : typeof value === 'object' && value !== null
      ? Object.values(value).flatMap(strings)
      : []

/** Variables a run script exports to later steps: `echo "NAME=..." >> "$GITHUB_ENV"`. */
const githubEnvWrites = (script: string) =>
  [...script.matchAll(/echo "([A-Z_][A-Z0-9_]*)=[^\n]*>>\s*"?\$GITHUB_ENV/g)].map((m) => m[1]!)

/** Whether a run script (or expression) reads a variable. */
const reads = (text: string, name: string) =>
  new RegExp(`\\$${name}\\b|\\$\\{${name}\\}|\\benv\\.${name}\\b`).test(text)

interface Problem {
  readonly file: string
  readonly problem: string
}

/** Checks the steps of one job (or composite action) against the contracts of what they use. */
async function checkSteps(
  file: string,
  where: string,
  steps: readonly Step[],
  /** Expressions of the job or action besides its steps (job outputs, action outputs). */
  extra: readonly string[],
): Promise<Problem[]> {
  const problems: Problem[] = []
  const fail = (problem: string) => problems.push({ file, problem: `${where}: ${problem}` })
  const expressions = [...strings(steps), ...extra]
  for (const text of expressions) {
    for (const [, id, output] of text.matchAll(/\bsteps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
      const step = steps.find((s) => s.id === id)
      if (step === undefined) {
        fail(`steps.${id}.outputs.${output}: no step has id ${id}`)
      } else if (step.uses !== undefined) {
        const contract = await contractOf(step.uses)
        if (!Object.hasOwn(contract.outputs ?? {}, output!))
          fail(
            `steps.${id}.outputs.${output}: ${step.uses} has no output ${output} (it has: ${Object.keys(contract.outputs ?? {}).join(', ')})`,
          )
      } else {
        const script = step.run ?? ''
        const writesIt = new RegExp(`\\b${output}=[^\\n]*GITHUB_OUTPUT`).test(script)
        const polyshipWritesIt = /\bpolyship\b/.test(script) && (await polyshipOutputs()).includes(output!)
        if (!writesIt && !polyshipWritesIt) fail(`steps.${id}.outputs.${output}: step ${id} never writes it`)
      }
    }
  }
  for (const step of steps) {
    if (step.uses === undefined) continue
    const contract = await contractOf(step.uses)
    const inputs = contract.inputs ?? {}
    for (const input of Object.keys(step.with ?? {})) {
      if (!Object.hasOwn(inputs, input))
        fail(`${step.uses} has no input ${input} (it has: ${Object.keys(inputs).join(', ')})`)
    }
    for (const [input, spec] of Object.entries(inputs)) {
      if (spec?.required === true && spec.default === undefined && step.with?.[input] === undefined)
        fail(`${step.uses} needs input ${input}`)
    }
  }
  return problems
}

/** Variables set (env: at any level, or through GITHUB_ENV) that nothing reads. */
function unreadEnv(
  file: string,
  scopes: readonly { readonly env?: Record<string, unknown> }[],
  steps: readonly Step[],
  everything: string,
  polyship: ReadonlySet<string>,
): Problem[] {
  const set = new Set([
    ...scopes.flatMap((scope) => Object.keys(scope.env ?? {})),
    ...steps.flatMap((s) => Object.keys(s.env ?? {})),
    ...steps.flatMap((s) => githubEnvWrites(s.run ?? '')),
  ])
  return [...set]
    .filter((name) => !polyship.has(name) && !Object.hasOwn(KNOWN_READERS, name) && !reads(everything, name))
    .map((name) => ({
      file,
      problem: `env ${name} is set but nothing reads it (not polyship, not a script)`,
    }))
}

let files: WorkflowFile[]
let polyship: Set<string>
beforeAll(async () => {
  files = await workflowFiles()
  polyship = await polyshipReads()
})
const read = (name: string) => files.find((f) => f.name === name)!.workflow
const step = (job: Job, uses: string) => job.steps.find((s) => s.uses?.startsWith(uses))

describe('workflows against the contracts of what they use', () => {
  it('finds the files, the polyship outputs and the variables polyship reads', async () => {
    expect(files.map((f) => f.name)).toEqual([
      '.github/workflows/ci.yml',
      '.github/workflows/release.yml',
      'templates/github/ci.yml',
      'templates/github/release.yml',
    ])
    expect(await polyshipOutputs()).toEqual(['released', 'tags', 'record', 'published'])
    for (const name of ['GITHUB_TOKEN', 'SOURCE_DATE_EPOCH', 'CHANGESETS_OUTPUT', 'POLYSHIP_SIGNING_KEY'])
      expect(polyship).toContain(name)
    expect(polyship).not.toContain('POLYSHIP_SIGNING')
  })

  it('every step output read is one the step declares or writes, every input one the action declares, every variable set is read', async () => {
    const problems: Problem[] = []
    for (const { name, text, workflow } of files) {
      const jobs = Object.entries(workflow.jobs)
      for (const [id, job] of jobs) {
        problems.push(...(await checkSteps(name, `job ${id}`, job.steps, strings(job.outputs ?? {}))))
        problems.push(...unreadEnv(name, [workflow, job], job.steps, text, polyship))
      }
      for (const [, need, output] of text.matchAll(/\bneeds\.([\w-]+)\.outputs\.([\w-]+)/g)) {
        if (!Object.hasOwn(workflow.jobs[need!]?.outputs ?? {}, output!))
          problems.push({
            file: name,
            problem: `needs.${need}.outputs.${output}: job ${need} has no such output`,
          })
      }
    }
    const action = await ourAction()
    const actionText = await readFile(join(repoRoot, 'action.yml'), 'utf8')
    const steps = action.runs.steps ?? []
    problems.push(...(await checkSteps('action.yml', 'composite', steps, strings(action.outputs ?? {}))))
    problems.push(...unreadEnv('action.yml', [], steps, actionText, polyship))
    for (const [, input] of actionText.matchAll(/\binputs\.([\w-]+)/g)) {
      if (!Object.hasOwn(action.inputs ?? {}, input!))
        problems.push({ file: 'action.yml', problem: `inputs.${input} is not declared` })
    }
    expect(problems).toEqual([])
  })

  it('the checks catch what the shipped release.yml got wrong', async () => {
    const broken = parse(
      stringify({
        jobs: {
          version: {
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template
            outputs: { pending: '${{ steps.changesets.outputs.hasChangesets }}' },
            steps: [
              {
                id: 'changesets',
                uses: 'changesets/action@v2',
                with: { publish: 'pnpm release', createGithubReleases: false },
                env: { POLYSHIP_SIGNING: 'keyless' },
              },
            ],
          },
        },
      }),
    ) as Workflow
    const job = broken.jobs.version!
    const problems = [
      ...(await checkSteps('broken.yml', 'job version', job.steps, strings(job.outputs))),
      ...unreadEnv('broken.yml', [job], job.steps, stringify(broken), polyship),
    ].map((p) => p.problem)
    expect(problems).toEqual([
      'job version: steps.changesets.outputs.hasChangesets: changesets/action@v2 has no output hasChangesets (it has: published, published-packages, has-changesets, pr-number)',
      'job version: changesets/action@v2 has no input publish (it has: github-token, publish-script, version-script, commit-message, pr-title, pr-draft, pr-base-branch, create-github-releases, push-git-tags, push-with-git-cli, cwd)',
      'job version: changesets/action@v2 has no input createGithubReleases (it has: github-token, publish-script, version-script, commit-message, pr-title, pr-draft, pr-base-branch, create-github-releases, push-git-tags, push-with-git-cli, cwd)',
      'env POLYSHIP_SIGNING is set but nothing reads it (not polyship, not a script)',
    ])
  })
})

describe('actionlint', () => {
  let project: string
  beforeAll(async () => {
    // A throwaway repository holding the templates as workflows, our action at its root, a
    // workflow that calls it with every input, and the action's steps as a reusable
    // workflow (so actionlint checks the expressions inside the action too).
    project = await mkdtemp(join(tmpdir(), 'polyship-actionlint-'))
    const dir = join(project, '.github', 'workflows')
    await mkdir(dir, { recursive: true })
    await cp(join(repoRoot, 'action.yml'), join(project, 'action.yml'))
    for (const file of files.filter((f) => f.name.startsWith('templates/'))) {
      await writeFile(join(dir, `template-${basename(file.name)}`), file.text)
    }
    const action = await ourAction()
    const inputs = Object.keys(action.inputs ?? {})
    await writeFile(
      join(dir, 'uses-action.yml'),
      stringify({
        on: 'push',
        jobs: {
          release: {
            'runs-on': 'ubuntu-latest',
            steps: [
              { uses: 'actions/checkout@v5' },
              { id: 'polyship', uses: './', with: Object.fromEntries(inputs.map((i) => [i, 'x'])) },
              {
                run: 'echo "$OUT"',
                env: {
                  OUT: Object.keys(action.outputs ?? {})
                    .map((o) => `\${{ steps.polyship.outputs.${o} }}`)
                    .join(' '),
                },
              },
            ],
          },
        },
      }),
    )
    await writeFile(
      join(dir, 'action-steps.yml'),
      stringify({
        on: {
          workflow_call: {
            inputs: Object.fromEntries(inputs.map((i) => [i, { type: 'string', required: false }])),
          },
        },
        jobs: { action: { 'runs-on': 'ubuntu-latest', steps: action.runs.steps } },
      }),
    )
    await run('git', ['init', '-q', project])
  })
  afterAll(() => rm(project, { recursive: true, force: true }))

  it('passes on our workflows', async () => {
    const { stdout } = await run(
      'actionlint',
      ['-no-color', join(workflows, 'ci.yml'), join(workflows, 'release.yml')],
      { cwd: repoRoot },
    )
    expect(stdout).toBe('')
  })

  it('passes on the templates, the action, and a workflow calling the action', async () => {
    const result = await run('actionlint', ['-no-color'], { cwd: project, okExitCodes: [1] })
    expect(result.stdout).toBe('')
    expect(result.exitCode ?? 0).toBe(0)
  })
})

describe('GitHub workflows', () => {
  it('CI runs nx affected from the SHAs nx-set-shas finds, on pull requests and pushes', async () => {
    const ci = read('.github/workflows/ci.yml')
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push'])
    expect(ci.permissions).toEqual({ contents: 'read' })
    const job = ci.jobs.affected!
    expect(step(job, 'actions/checkout@')?.with?.['fetch-depth']).toBe(0)
    expect(step(job, 'nrwl/nx-set-shas@v5')).toBeDefined()
    expect(step(job, 'pnpm/action-setup@')).toBeDefined()
    expect(String(step(job, 'actions/setup-node@')?.with?.['node-version'])).toMatch(/^24\./)
    const commands = job.steps.map((s) => s.run ?? '')
    expect(commands).toContain('tools/bootstrap.sh --test')
    expect(commands.some((c) => c.includes('nx affected -t typecheck lint test polyship-package'))).toBe(true)
  })

  it('release grants each job only what it needs', async () => {
    const release = read('.github/workflows/release.yml')
    expect(release.permissions).toEqual({})
    const { version, build, publish } = release.jobs
    expect(version?.permissions).toEqual({ contents: 'write', 'pull-requests': 'write' })
    expect(build?.permissions).toEqual({ contents: 'read' })
    expect(publish?.permissions).toEqual({ contents: 'write', 'id-token': 'write', packages: 'write' })
  })

  it('release: changesets/action runs polyship version, then split builds, then merge-and-publish', async () => {
    const { version, build, publish } = read('.github/workflows/release.yml').jobs
    const versionStep = step(version!, 'changesets/action@v2')
    expect(versionStep?.with?.['version-script']).toBe('pnpm polyship version')
    expect(versionStep?.with?.['publish-script']).toBeUndefined()
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template
    expect(version?.outputs?.pending).toBe('${{ steps.changesets.outputs.has-changesets }}')

    expect(build?.if).toBe("needs.version.outputs.pending == 'false'")
    expect(build?.strategy?.matrix.shard).toEqual([1, 2, 3])
    const shard = build!.steps.find((s) => s.run?.includes('--split'))
    expect(shard?.run).toBe('tools/run pnpm polyship release --split --shard "$SHARD"')
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template
    expect(shard?.env?.SHARD).toBe('${{ matrix.shard }}/${{ strategy.job-total }}')
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template
    expect(step(build!, 'actions/upload-artifact@')?.with?.name).toBe('dist-shard-${{ matrix.shard }}')

    for (const job of [build!, publish!]) {
      expect(job.steps.some((s) => s.run?.includes('SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)'))).toBe(
        true,
      )
    }
    expect(publish?.needs).toEqual(['version', 'build'])
    expect(step(publish!, 'actions/download-artifact@')?.with?.pattern).toBe('dist-shard-*')
    const publishStep = step(publish!, 'changesets/action@v2')
    const script = String(publishStep?.with?.['publish-script'])
    expect(script).toMatch(/^pnpm polyship release --merge dist\/shards /)
    // real destinations: images and charts to ghcr.io, files to this repository's GitHub releases
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template
    expect(script).toContain('--registry ghcr.io/${{ github.repository_owner }}')
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template
    expect(script).toContain('--github-release ${{ github.repository }}')
    // polyship creates the GitHub releases; changesets/action only pushes the tags
    expect(publishStep?.with?.['create-github-releases']).toBe(false)
    expect(publishStep?.with?.['push-git-tags']).toBe(true)
    // the action's ref: v<version> when the polyship package was released
    expect(publish!.steps.some((s) => s.run?.includes('git push origin "refs/tags/v$version"'))).toBe(true)
    const record = step(publish!, 'actions/upload-artifact@')
    expect(String(record?.with?.path)).toContain('dist/release.json')
  })

  it('templates: CI packages what changed; release versions with changesets and releases with our action', async () => {
    const ci = read('templates/github/ci.yml')
    const affected = ci.jobs.affected!
    expect(step(affected, 'nrwl/nx-set-shas@v5')).toBeDefined()
    expect(affected.steps.map((s) => s.run ?? '')).toContain(
      'pnpm exec nx affected -t polyship-build polyship-package --outputStyle=static',
    )
    const { version, release } = read('templates/github/release.yml').jobs
    expect(step(version!, 'changesets/action@v2')?.with?.['version-script']).toBe(
      'pnpm exec polyship version',
    )
    expect(release?.if).toBe("needs.version.outputs.pending == 'false'")
    expect(release?.permissions).toEqual({ contents: 'write', 'id-token': 'write', packages: 'write' })
    expect(step(release!, 'polyship/polyship@')?.uses).toBe(`polyship/polyship@v${TEMPLATE_VERSION}`)
    const raw = await readFile(join(templates, 'release.yml'), 'utf8')
    expect(raw).toContain('uses: polyship/polyship@v__POLYSHIP_VERSION__')
  })
})
