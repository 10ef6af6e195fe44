import { addWorkspacePackages, parseWorkspacePackages, simpleWorkspacePackages } from '@polyship/core'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

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

  it('reads a plain list of globs without the YAML library, exactly as the library reads it', () => {
    const simple = [
      'packages:\n  - apps/*\n  - packages/**\n',
      '# the workspace\n\npackages: # globs\n    - "apps/*"   # quoted\n    - \'!**/test/**\'\n\n',
      '\uFEFFpackages:\r\n  - services/api\r\n  - examples/charts/*\r\n',
      'packages:\n',
      'packages:\n  - "*"\n  - \'@scope/*\'\n  - a-b_c.d/+e\n',
    ]
    for (const text of simple) {
      const fast = simpleWorkspacePackages(text)
      expect(fast, text).toBeDefined()
      expect(fast, text).toEqual(parse(text.replace(/^\uFEFF/, ''))?.packages ?? [])
    }
    // whatever YAML could read otherwise goes to the library
    const other = [
      'packages:\n  - *alias\n',
      'packages:\n  - !tag a\n',
      'packages:\n  - 123\n',
      'packages:\n  - true\n',
      'packages:\n  - null\n',
      'packages:\n  - .5\n',
      'packages:\n  - a#b\n',
      'packages:\n  - "a"#b\n',
      'packages:\n  - "a\\tb"\n',
      'packages:\n  - a: b\n',
      'packages:\n  - a\n   - b\n',
      'packages:\n- a\n',
      'packages:\n\t- a\n',
      'packages: [a, b]\n',
      'packages:\n  - a\ncatalog:\n  react: ^19\n',
      '---\npackages:\n  - a\n',
      'packages:\n  - a\n---\npackages:\n  - b\n',
      'catalog: {}\npackages:\n  - a\n',
    ]
    for (const text of other) expect(simpleWorkspacePackages(text), text).toBeUndefined()
  })
})
