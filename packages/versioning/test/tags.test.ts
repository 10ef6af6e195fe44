import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createReleaseTags, parseReleaseTag, releaseTag, VersioningError } from '@polyship/versioning'
import { describe, expect, it } from 'vitest'
import { git, tempWorkspace } from './workspace.ts'

describe('release tags', () => {
  it('spell <name>@<version>, scoped names included', () => {
    expect(releaseTag('time-server-go', '1.2.0')).toBe('time-server-go@1.2.0')
    expect(parseReleaseTag('@acme/chart@0.1.0-rc.1')).toEqual({ name: '@acme/chart', version: '0.1.0-rc.1' })
    expect(parseReleaseTag('v1.2.0')).toBeUndefined()
  })

  it('are created on HEAD once, reported to changesets/action through CHANGESETS_OUTPUT, and never moved', async () => {
    const root = await tempWorkspace({ 'README.md': 'hello\n' })
    const output = join(await mkdtemp(join(tmpdir(), 'polyship-output-')), 'changesets.ndjson')
    const projects = [
      { name: 'time-server-go', version: '0.2.0' },
      { name: 'mcp-stack', version: '0.1.1' },
    ]
    expect(await createReleaseTags(root, projects, { outputFile: output })).toEqual({
      created: ['time-server-go@0.2.0', 'mcp-stack@0.1.1'],
      existing: [],
    })
    expect(await readFile(output, 'utf8')).toBe(
      '{"type":"git-tag","tag":"time-server-go@0.2.0","packageName":"time-server-go"}\n' +
        '{"type":"git-tag","tag":"mcp-stack@0.1.1","packageName":"mcp-stack"}\n',
    )
    const head = (await git(root, 'rev-parse', 'HEAD')).trim()
    expect((await git(root, 'rev-list', '-n', '1', 'mcp-stack@0.1.1')).trim()).toBe(head)

    // A re-run (a resumed release) finds them in place and reports nothing new.
    expect(await createReleaseTags(root, projects, { outputFile: output })).toEqual({
      created: [],
      existing: ['time-server-go@0.2.0', 'mcp-stack@0.1.1'],
    })
    expect((await readFile(output, 'utf8')).split('\n').filter(Boolean)).toHaveLength(2)

    // On another commit, the same version is a conflict: versions are immutable.
    await git(root, 'commit', '-q', '--allow-empty', '-m', 'later')
    const error = await createReleaseTags(root, projects).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(VersioningError)
    expect((error as VersioningError).code).toBe('VERSION_TAG_FAILED')
    expect((error as VersioningError).message).toBe(
      `tag time-server-go@0.2.0 already exists on commit ${head.slice(0, 12)}`,
    )
  })
})
