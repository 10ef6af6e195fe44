import { addWorkspacePackages, parseWorkspacePackages } from '@polyship/core'
import { describe, expect, it } from 'vitest'

describe('pnpm-workspace.yaml', () => {
  it('appends packages and keeps comments, other settings and existing globs', async () => {
    const text = '# workspace\npackages:\n  - apps/* # the apps\n\ncatalog:\n  react: ^19\n'
    expect(await addWorkspacePackages(text, 'pnpm-workspace.yaml', ['apps/*', 'services/api'])).toBe(
      '# workspace\npackages:\n  - apps/* # the apps\n  - services/api\n\ncatalog:\n  react: ^19\n',
    )
  })

  it('adds a packages list to a file without one, and writes a new file', async () => {
    expect(await addWorkspacePackages('# settings only\nshamefullyHoist: true\n', 'w.yaml', ['a'])).toBe(
      '# settings only\nshamefullyHoist: true\npackages:\n  - a\n',
    )
    expect(await addWorkspacePackages('', 'w.yaml', ['a', 'b/c'])).toBe('packages:\n  - a\n  - b/c\n')
  })

  it('returns the text unchanged when every entry is listed', async () => {
    const text = 'packages: [a, b]  # flow style\n'
    expect(await addWorkspacePackages(text, 'w.yaml', ['b'])).toBe(text)
  })

  it('names the file for YAML it cannot read', async () => {
    await expect(parseWorkspacePackages('packages: [a\n', 'repo/pnpm-workspace.yaml')).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/^repo\/pnpm-workspace\.yaml:\d+: not valid YAML/),
    })
    await expect(addWorkspacePackages('packages: services/*\n', 'w.yaml', ['a'])).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: 'w.yaml: packages must be a list of globs',
    })
    await expect(addWorkspacePackages('- a\n', 'w.yaml', ['a'])).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: 'w.yaml: not a map of settings',
    })
  })
})
