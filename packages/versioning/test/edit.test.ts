import {
  editToml,
  editYaml,
  followRequirement,
  isSemver,
  pythonVersionOf,
  scanToml,
  VersioningError,
} from '@polyship/versioning'
import { describe, expect, it } from 'vitest'

const cargo = `# comment at the top
[package]
name = "demo"   # trailing comment
version = '0.1.0'
"quoted.key" = '''raw
text'''
built = 1979-05-27 07:32:00Z
list = [ "a", { version = "0.1.0", path = "../b" }, # comment in an array
  2, ]

[dependencies]
b = { path = "../b", version = "=0.1.0" }
c.path = "../c"
c.version = "0.1"

[target.'cfg(unix)'.dependencies.d]
path = "../d"
version = "~0.1.0"

[[bin]]
name = "one"
[[bin]]
name = "two"
[bin.extra]
text = """
has "quotes" and \\"escapes\\" ""\\"
"""
`

describe('TOML value editing', () => {
  it('finds every scalar with its path through tables, dotted keys, inline tables, arrays of tables', () => {
    const paths = scanToml(cargo, 'Cargo.toml').map((span) => span.path.join('.'))
    expect(paths).toEqual([
      'package.name',
      'package.version',
      'package.quoted.key',
      'package.built',
      'package.list.0',
      'package.list.1.version',
      'package.list.1.path',
      'package.list.2',
      'dependencies.b.path',
      'dependencies.b.version',
      'dependencies.c.path',
      'dependencies.c.version',
      'target.cfg(unix).dependencies.d.path',
      'target.cfg(unix).dependencies.d.version',
      'bin.0.name',
      'bin.1.name',
      'bin.1.extra.text',
    ])
  })

  it('changes only the characters between the quotes, keeping quote style and comments', () => {
    const edited = editToml(cargo, 'Cargo.toml', [
      { path: ['package', 'version'], value: '0.2.0' },
      { path: ['dependencies', 'b', 'version'], value: '=0.2.0' },
      { path: ['dependencies', 'c', 'version'], value: '0.2.0' },
      { path: ['target', 'cfg(unix)', 'dependencies', 'd', 'version'], value: '~0.2.0' },
      { path: ['bin', 1, 'name'], value: 'three' },
    ])
    const changed = edited.split('\n').filter((line, i) => line !== cargo.split('\n')[i])
    expect(changed).toEqual([
      "version = '0.2.0'",
      'b = { path = "../b", version = "=0.2.0" }',
      'c.version = "0.2.0"',
      'version = "~0.2.0"',
      'name = "three"',
    ])
  })

  it('refuses to turn a non-string into a string, and names the file and field', () => {
    const run = () =>
      editToml('[package]\nversion = 1\n', 'x/Cargo.toml', [{ path: ['package', 'version'], value: '1.0.0' }])
    expect(run).toThrow(VersioningError)
    expect(run).toThrow('x/Cargo.toml: package.version is not a string')
  })

  it('reports broken TOML with file and line', () => {
    expect(() => editToml('[package\nversion = "1"\n', 'Cargo.toml', [{ path: ['x'], value: '1' }])).toThrow(
      /^Cargo\.toml:1: not valid TOML/,
    )
  })
})

describe('YAML value editing', () => {
  const chart = `# Chart of the stack
apiVersion: v2
name: stack
version: 0.1.0 # bumped by polyship
appVersion: "0.1.0"
dependencies:
  - name: db
    version: '~1.2.0'   # sibling chart
    repository: file://../db
`

  it("rewrites the value range in the node's own quoting style, nothing else", () => {
    const edited = editYaml(chart, 'Chart.yaml', [
      { path: ['version'], value: '0.2.0' },
      { path: ['appVersion'], value: '1.0.0' },
      { path: ['dependencies', 0, 'version'], value: '~1.3.0' },
    ])
    expect(edited).toBe(
      chart
        .replace('version: 0.1.0', 'version: 0.2.0')
        .replace('appVersion: "0.1.0"', 'appVersion: "1.0.0"')
        .replace("version: '~1.2.0'", "version: '~1.3.0'"),
    )
  })

  it('a missing field is a coded error with the value to add', () => {
    expect(() => editYaml('name: x\n', 'Chart.yaml', [{ path: ['appVersion'], value: '1.0.0' }])).toThrow(
      'Chart.yaml: appVersion is missing or not a scalar',
    )
  })
})

describe('versions', () => {
  it('SemVer is strict', () => {
    expect(['1.2.3', '0.0.0-rc.1', '1.0.0+build.5'].every(isSemver)).toBe(true)
    expect(['1.2', 'v1.2.3', '01.2.3', 'latest', 1].some(isSemver)).toBe(false)
  })

  it('keeps a requirement the new version still meets, else retargets it keeping the operator', () => {
    expect(
      ['0.1.0', '=0.1.0', '^0.1', '~0.1.0', '>= 0.1.0', '>=1, <2'].map((r) =>
        followRequirement(r, '0.2.0', 'cargo'),
      ),
    ).toEqual(['0.2.0', '=0.2.0', '^0.2.0', '~0.2.0', '>= 0.1.0', undefined])
    // Cargo's bare version is a caret requirement, Helm's is exact
    expect(followRequirement('0.1', '0.1.5', 'cargo')).toBe('0.1')
    expect(followRequirement('1.4.0', '1.4.1', 'helm')).toBe('1.4.1')
    expect(followRequirement('~1.4.0', '1.4.1', 'helm')).toBe('~1.4.0')
    expect(followRequirement('>=6.0.0', '6.15.0', 'helm')).toBe('>=6.0.0')
  })

  it('spells SemVer pre-releases the PEP 440 way, as maturin does', () => {
    expect(
      ['1.2.0', '1.2.0-rc.1', '1.2.0-beta', '1.2.0-alpha.3', '1.2.0-dev.2', '1.2.0+Build-7'].map((v) =>
        pythonVersionOf(v, 'pyproject.toml'),
      ),
    ).toEqual(['1.2.0', '1.2.0rc1', '1.2.0b0', '1.2.0a3', '1.2.0.dev2', '1.2.0+build.7'])
    expect(() => pythonVersionOf('1.2.0-next.1', 'pyproject.toml')).toThrow('has no PEP 440 spelling')
  })
})
