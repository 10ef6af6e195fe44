import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseReleaseRecord } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { releaseReport, writeActionsReport } from '../src/github-actions.ts'
import { exampleWorkspace, polyship, type TestWorkspace } from './workspace.ts'

/**
 * `polyship release` inside GitHub Actions (GITHUB_ACTIONS=true): step outputs in
 * $GITHUB_OUTPUT, a job summary in $GITHUB_STEP_SUMMARY, `::error` annotations naming the
 * file and line of a config error, and no signing key generated on the runner.
 */

let ws: TestWorkspace
let files: string

/** Parses a GITHUB_OUTPUT file (`name<<delimiter` blocks) the way the runner does. */
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i]!)
    if (match === null) continue
    const end = lines.indexOf(match[2]!, i + 1)
    outputs[match[1]!] = lines.slice(i + 1, end).join('\n')
    i = end
  }
  return outputs
}

const actionsEnv = () => ({
  ...ws.env,
  GITHUB_ACTIONS: 'true',
  GITHUB_WORKSPACE: ws.root,
  GITHUB_OUTPUT: join(files, 'output'),
  GITHUB_STEP_SUMMARY: join(files, 'summary.md'),
})

beforeAll(async () => {
  ws = await exampleWorkspace({
    projects: ['time-server-go'],
    platforms: { 'time-server-go': ['linux/amd64', 'linux/arm64'] },
  })
  files = await mkdtemp(join(tmpdir(), 'polyship-actions-'))
})
afterAll(async () => {
  await ws.remove()
  await rm(files, { recursive: true, force: true })
})

describe('in GitHub Actions', () => {
  it('a release sets the step outputs and writes what went where, with digests, to the job summary', async () => {
    const result = await polyship(['release'], { root: ws.root, env: actionsEnv() })
    expect(result.code, result.stderr).toBe(0)
    const outputs = parseOutputs(await readFile(join(files, 'output'), 'utf8'))
    const recordPath = join(ws.root, 'dist', 'release.json')
    expect(outputs).toEqual({
      released: '["time-server-go"]',
      tags: '["time-server-go@0.1.0"]',
      record: recordPath,
      published: 'true',
    })
    const record = parseReleaseRecord(JSON.parse(await readFile(recordPath, 'utf8')), recordPath)
    let summary = await readFile(join(files, 'summary.md'), 'utf8')
    for (const artifact of record.artifacts) {
      expect(summary).toContain(`\`${artifact.digest}\``)
      summary = summary.replaceAll(artifact.digest, `sha256:<${artifact.kind}>`)
    }
    expect(summary.replaceAll(ws.root, '<ws>')).toMatchInlineSnapshot(`
      "### polyship release

      Released \`time-server-go@0.1.0\`: 4 published. Record: \`<ws>/dist/release.json\`.

      | project | version | artifact | where | digest |
      | --- | --- | --- | --- | --- |
      | time-server-go | 0.1.0 | \`time-server-go_0.1.0_checksums.txt\` (checksums) | \`assets/time-server-go_0.1.0_checksums.txt\` | \`sha256:<checksums>\` |
      | time-server-go | 0.1.0 | \`time-server-go_0.1.0_linux_amd64.tar.gz\` (archive, linux/amd64) | \`assets/time-server-go_0.1.0_linux_amd64.tar.gz\` | \`sha256:<archive>\` |
      | time-server-go | 0.1.0 | \`time-server-go_0.1.0_linux_arm64.tar.gz\` (archive, linux/arm64) | \`assets/time-server-go_0.1.0_linux_arm64.tar.gz\` | \`sha256:<archive>\` |
      | time-server-go | 0.1.0 | \`time-server-go\` (image-index) | \`oci-layout:oci/time-server-go@sha256:<image-index>\` | \`sha256:<image-index>\` |
      "
    `)
  })

  it('a config error is an ::error annotation on the file and line at fault', async () => {
    const manifest = join(ws.root, 'examples', 'time-server-go', 'package.json')
    const original = await readFile(manifest, 'utf8')
    try {
      await writeFile(manifest, original.replace('"toolchain": "go"', '"toolchain": "zig"'))
      const result = await polyship(['release', '--dry-run'], { root: ws.root, env: actionsEnv() })
      expect(result.code).toBe(1)
      const annotation = result.stderr.split('\n').find((line) => line.startsWith('::error'))
      const [command, message] = annotation!.split('::').slice(1)
      expect(command).toBe(
        'error file=examples/time-server-go/package.json,line=9,col=20,title=polyship CONFIG_INVALID',
      )
      expect(message).toMatch(
        /package\.json: polyship\.binary\.toolchain: "zig" is not one of "go", "rust"%0Ahint: see docs/,
      )
      expect(result.stderr).toContain('error CONFIG_INVALID: ')
    } finally {
      await writeFile(manifest, original)
    }
  })

  it('never generates a signing key: without a key or an OIDC token the release stops before building', async () => {
    const bare = await exampleWorkspace({ projects: ['time-server-go'] })
    try {
      await rm(join(bare.configHome, 'polyship'), { recursive: true })
      const result = await polyship(['release'], {
        root: bare.root,
        env: { ...bare.env, GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: bare.root },
      })
      expect(result.code).toBe(1)
      expect(result.stderr).toContain('error ATTEST_KEY_NOT_CONFIGURED: no signing key is configured')
      expect(result.stderr).toContain('id-token: write')
      expect(result.stderr).toMatch(/^::error title=polyship ATTEST_KEY_NOT_CONFIGURED::/m)
      expect(existsSync(join(bare.configHome, 'polyship'))).toBe(false)
      expect(existsSync(join(bare.root, 'dist', 'build'))).toBe(false)
    } finally {
      await bare.remove()
    }
  })

  it('signs keyless when the job may mint an OIDC token, even with the default key file present', async () => {
    const fresh = await exampleWorkspace({
      projects: ['time-server-go'],
      platforms: { 'time-server-go': ['linux/amd64', 'linux/arm64'] },
    })
    const requests: string[] = []
    // GitHub's token endpoint, refusing: the error shows polyship asked it, and nothing is published.
    const server = createServer((request, response) => {
      requests.push(`${request.method} ${request.url} ${request.headers.authorization}`)
      response.writeHead(403).end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as AddressInfo
      const result = await polyship(['release'], {
        root: fresh.root,
        env: {
          ...fresh.env,
          GITHUB_ACTIONS: 'true',
          ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${port}/token?api-version=2.0`,
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token-1234',
        },
      })
      expect(result.code).toBe(1)
      expect(result.stderr).toContain('error ATTEST_OIDC_TOKEN_MISSING: GitHub Actions refused an OIDC token')
      expect(requests).toEqual(['GET /token?api-version=2.0&audience=sigstore Bearer request-token-1234'])
      expect(existsSync(join(fresh.root, 'dist', 'assets'))).toBe(false)
      expect(existsSync(join(fresh.root, 'dist', 'release.json'))).toBe(false)
    } finally {
      server.close()
      await fresh.remove()
    }
  })

  it('a dry run or a release with nothing new publishes nothing, and says so', () => {
    const planned = releaseReport({
      status: 'planned',
      snapshot: false,
      findings: [
        { project: 'api', kind: 'image', artifact: 'api:1.0.0', state: { status: 'new', location: 'x' } },
        {
          project: 'api',
          kind: 'archive',
          artifact: 'api_1.0.0_linux_amd64.tar.gz',
          state: { status: 'conflict', location: 'y', existing: 'sha256:aa', wanted: 'sha256:bb' },
        },
      ],
    })
    expect(planned.outputs).toEqual({ released: '[]', tags: '[]', record: '', published: 'false' })
    expect(planned.summary).toMatchInlineSnapshot(`
      "### polyship release (dry run: nothing was published)

      1 new, 1 replace.

      | project | artifact | kind | would be |
      | --- | --- | --- | --- |
      | api | \`api:1.0.0\` | image | new |
      | api | \`api_1.0.0_linux_amd64.tar.gz\` | archive | replace |
      "
    `)
    const idle = releaseReport({
      status: 'up-to-date',
      released: [
        { project: 'api', version: '1.0.0', tag: 'api@1.0.0', commit: 'abcdef0123456789', source: 'git tag' },
      ],
    })
    expect(idle.outputs.published).toBe('false')
    expect(idle.summary).toMatchInlineSnapshot(`
      "### polyship release

      Nothing to release: \`api@1.0.0\` (released at \`abcdef012345\`).
      "
    `)
  })

  it('writes outputs and summary through the redactor', async () => {
    const output = join(files, 'redacted-output')
    const summary = join(files, 'redacted-summary.md')
    await writeActionsReport(
      {
        outputs: { released: '[]', tags: '[]', record: '/x/s3cr3t-value/release.json', published: 'false' },
        summary: 'pushed to https://bot:hunter22@registry.example/app with s3cr3t-value\n',
      },
      { GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary, DEPLOY_TOKEN: 's3cr3t-value' },
    )
    expect(parseOutputs(await readFile(output, 'utf8')).record).toBe('/x/[redacted]/release.json')
    expect(await readFile(summary, 'utf8')).toBe(
      'pushed to https://[redacted]@registry.example/app with [redacted]\n',
    )
  })
})
