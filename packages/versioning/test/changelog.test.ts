import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { versionWorkspace } from '@polyship/versioning'
import { afterAll, describe, expect, it } from 'vitest'
import { placeChangelogEntry } from '../src/changelog.ts'
import { addChangeset, commitAll, tempWorkspace } from './workspace.ts'

const ENTRY = '## 1.3.0\n\n### Minor Changes\n\n- Serve v2 routes\n'

/** Upstream changelog shapes: Keep a Changelog with [Unreleased], a plain title, none at all. */
const KEEP_A_CHANGELOG = `# Changelog

All notable changes to this project will be documented in this file.

The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/),
and this project adheres to [Semantic Versioning](https://semver.org/spec/v2.0.0.html).

## [Unreleased]

## [1.2.0] - 2025-11-02

### Added

- v1 routes

## [1.1.0] - 2025-09-14

- first public release

[1.2.0]: https://github.com/acme/api/compare/v1.1.0...v1.2.0
`

describe('placeChangelogEntry: the new version goes on top of the versions, under the preamble', () => {
  it('Keep a Changelog: below the intro and [Unreleased], above [1.2.0]; nothing else changes', () => {
    const placed = placeChangelogEntry(KEEP_A_CHANGELOG, ENTRY)
    const [before, after] = placed.split(ENTRY)
    expect(before).toBe(`${KEEP_A_CHANGELOG.slice(0, KEEP_A_CHANGELOG.indexOf('## [1.2.0]')).trimEnd()}\n\n`)
    expect(`${after}`).toBe(`\n${KEEP_A_CHANGELOG.slice(KEEP_A_CHANGELOG.indexOf('## [1.2.0]'))}`)
  })

  it('a plain title and intro, versions as `## v1.2.0`: between them', () => {
    expect(placeChangelogEntry('# api\n\nRelease notes.\n\n## v1.2.0\n\n- x\n', ENTRY)).toBe(
      `# api\n\nRelease notes.\n\n${ENTRY}\n## v1.2.0\n\n- x\n`,
    )
  })

  it('a title and no version yet: after the preamble', () => {
    expect(placeChangelogEntry('# Changelog\n\nAll notable changes.\n', ENTRY)).toBe(
      `# Changelog\n\nAll notable changes.\n\n${ENTRY}`,
    )
  })

  it('no title: on top of the first version; a version heading inside a code block is not one', () => {
    expect(placeChangelogEntry('## 1.2.0\n\n- x\n', ENTRY)).toBe(`${ENTRY}\n## 1.2.0\n\n- x\n`)
    expect(placeChangelogEntry('# Changelog\n\n```md\n## 9.9.9\n```\n\n## 1.2.0\n', ENTRY)).toBe(
      `# Changelog\n\n\`\`\`md\n## 9.9.9\n\`\`\`\n\n${ENTRY}\n## 1.2.0\n`,
    )
  })
})

describe('polyship version with an upstream CHANGELOG.md', () => {
  let root: string
  afterAll(() => rm(root, { recursive: true, force: true }))

  it('writes the changesets entry as the newest version and leaves the rest byte for byte', async () => {
    root = await tempWorkspace({
      'package.json': JSON.stringify({ name: 'ws', private: true }),
      'pnpm-workspace.yaml': 'packages:\n  - apps/*\n',
      '.changeset/config.json': JSON.stringify({
        changelog: '@changesets/cli/changelog',
        baseBranch: 'main',
        privatePackages: { version: true, tag: true },
      }),
      'apps/api/package.json': JSON.stringify({ name: 'api', version: '1.2.0', private: true }),
      'apps/api/CHANGELOG.md': KEEP_A_CHANGELOG,
      'apps/web/package.json': JSON.stringify({ name: 'web', version: '0.1.0', private: true }),
    })
    await addChangeset(root, 'v2-routes', { api: 'minor', web: 'patch' }, 'Serve v2 routes')
    await commitAll(root, 'changeset')
    expect(await versionWorkspace(root)).toMatchObject({ status: 'versioned' })
    const api = await readFile(join(root, 'apps', 'api', 'CHANGELOG.md'), 'utf8')
    const at = api.indexOf('## 1.3.0')
    expect(at).toBeGreaterThan(api.indexOf('## [Unreleased]'))
    expect(at).toBeLessThan(api.indexOf('## [1.2.0]'))
    expect(api.slice(at, api.indexOf('## [1.2.0]'))).toMatch(
      /^## 1\.3\.0\n\n### Minor Changes\n\n- .*Serve v2 routes\n\n$/,
    )
    expect(api.replace(api.slice(at, api.indexOf('## [1.2.0]')), '')).toBe(KEEP_A_CHANGELOG)
    // No changelog before: changesets' own (a title and the entry).
    expect(await readFile(join(root, 'apps', 'web', 'CHANGELOG.md'), 'utf8')).toMatch(
      /^# web\n\n## 0\.1\.1\n\n### Patch Changes\n\n- .*Serve v2 routes\n$/,
    )
  })
})
