import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { run } from '@polyship/core'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { repoRoot } from './workspace.ts'

interface Step {
  readonly uses?: string
  readonly run?: string
  readonly with?: Record<string, unknown>
  readonly env?: Record<string, unknown>
}
interface Job {
  readonly permissions?: Record<string, string>
  readonly needs?: string | string[]
  readonly if?: string
  readonly strategy?: { matrix: Record<string, unknown> }
  readonly steps: Step[]
}
interface Workflow {
  readonly on: Record<string, unknown>
  readonly permissions: Record<string, string>
  readonly jobs: Record<string, Job>
}

const workflows = join(repoRoot, '.github', 'workflows')
const read = async (name: string) => parse(await readFile(join(workflows, name), 'utf8')) as Workflow
const step = (job: Job, uses: string) => job.steps.find((s) => s.uses?.startsWith(uses))

describe('GitHub workflows', () => {
  it('pass actionlint', async () => {
    const { stdout } = await run(
      'actionlint',
      ['-no-color', join(workflows, 'ci.yml'), join(workflows, 'release.yml')],
      {
        cwd: repoRoot,
      },
    )
    expect(stdout).toBe('')
  })

  it('CI runs nx affected from the SHAs nx-set-shas finds, on pull requests and pushes', async () => {
    const ci = await read('ci.yml')
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
    const release = await read('release.yml')
    expect(release.permissions).toEqual({})
    const { version, build, publish } = release.jobs
    expect(version?.permissions).toEqual({ contents: 'write', 'pull-requests': 'write' })
    expect(build?.permissions).toEqual({ contents: 'read' })
    expect(publish?.permissions).toEqual({ contents: 'write', 'id-token': 'write', packages: 'write' })
  })

  it('release: changesets/action runs polyship version, then split builds, then merge-and-publish', async () => {
    const { version, build, publish } = (await read('release.yml')).jobs
    const versionStep = step(version!, 'changesets/action@v2')
    expect(versionStep?.with?.['version-script']).toBe('pnpm polyship version')
    expect(versionStep?.with?.['publish-script']).toBeUndefined()

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
    expect(publishStep?.with?.['publish-script']).toBe('pnpm release --merge dist/shards')
    expect(publishStep?.env?.POLYSHIP_SIGNING).toBe('keyless')
  })
})
