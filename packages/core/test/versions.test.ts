import {
  admitsPythonVersion,
  comparePythonVersions,
  compareSemver,
  escapePythonName,
  isNormalizedPep440,
  isPythonPreRelease,
  isSemver,
  isValidDistributionName,
  normalizePep440,
  normalizePythonName,
  parseDistributionFilename,
  parseProjectManifest,
  parseSemver,
  parseSpecifierClause,
  parseWheelFilename,
  pep440OfSemver,
  samePythonVersion,
  semverOfPep440,
} from '@polyship/core'
import { describe, expect, it } from 'vitest'

describe('SemVer: one syntax for config, versioning, npm, Helm and image tags', () => {
  it.each([
    '0.0.0',
    '1.2.3',
    '1.2.3-rc.1',
    '1.2.3-0',
    '1.2.3-alpha-1.x',
    '1.2.3-rc.1+build.5',
    '1.2.3+Build-7',
    '10.20.30-0a.1',
  ])('accepts %s', (version) => {
    expect(isSemver(version)).toBe(true)
  })

  it.each([
    'v1.2.3', // Helm's and Go's prefix
    '1.2', // missing patch
    'v1.2', // what the config schema refused
    '01.2.3', // leading zero (the image tag regex took it)
    '1.2.3-01', // numeric pre-release with leading zero (the config schema took it)
    '1.2.3-', // empty pre-release
    '1.2.3+', // empty build
    '1.2.3-rc..1',
    ' 1.2.3',
    'latest',
  ])('refuses %s', (version) => {
    expect(isSemver(version)).toBe(false)
    expect(parseSemver(version)).toBeUndefined()
  })

  it('splits a version into the parts npm compares and image tags expand', () => {
    expect(parseSemver('1.20.3-rc.1+sha.5')).toEqual({
      major: '1',
      minor: '20',
      patch: '3',
      prerelease: 'rc.1',
      build: 'sha.5',
    })
    expect(parseSemver('4.5.6')).toEqual({ major: '4', minor: '5', patch: '6' })
  })

  it('orders versions by SemVer precedence, build metadata ignored', () => {
    const sorted = [
      '1.0.0',
      '1.0.0-alpha.beta',
      '1.0.0-beta.11',
      '1.0.0-alpha',
      '1.0.0-rc.1',
      '1.0.0-beta.2',
      '1.0.0-beta',
      '1.0.0-alpha.1',
      '0.9.10',
      '0.10.0',
    ]
    expect([...sorted].sort(compareSemver)).toEqual([
      '0.9.10',
      '0.10.0',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
    ])
    expect(compareSemver('1.2.3+build.5', '1.2.3')).toBe(0)
    expect(() => compareSemver('v1.2.3', '1.2.3')).toThrow(/v1\.2\.3 is not SemVer/)
  })

  it('is the pattern package.json versions are validated with', () => {
    const manifest = (version: string) => ({ name: 'a', version, polyship: { binary: { toolchain: 'go' } } })
    expect(parseProjectManifest(manifest('1.2.3-rc.1'), 'package.json').version).toBe('1.2.3-rc.1')
    expect(() => parseProjectManifest(manifest('1.2.3-01'), 'package.json')).toThrow(/version/)
  })
})

describe('PEP 440: one mapping for the wheel build and `polyship version`', () => {
  it('maps SemVer the way maturin maps Cargo versions (the cases of both former mappers)', () => {
    const cases: [string, string][] = [
      ['1.2.0', '1.2.0'],
      ['1.2.0-rc.1', '1.2.0rc1'],
      ['1.2.0-alpha.2', '1.2.0a2'],
      ['1.2.0-alpha.3', '1.2.0a3'],
      ['1.2.0-beta', '1.2.0b0'],
      ['1.2.0-dev.3', '1.2.0.dev3'],
      ['1.2.0-post.1', '1.2.0.post1'],
      ['1.2.0+build.5', '1.2.0+build.5'],
      ['1.2.0+Build-7', '1.2.0+build.7'],
      // where the two mappers disagreed: wheel took these, versioning refused them
      ['1.2.0-rc-1', '1.2.0rc1'],
      ['1.2.0-c.1', '1.2.0rc1'],
      ['1.2.0-RC.2', '1.2.0rc2'],
      ['1.2.0-a1', '1.2.0a1'],
    ]
    expect(cases.map(([semver]) => [semver, pep440OfSemver(semver)])).toEqual(cases)
  })

  it('has no spelling for other pre-release labels or for what is not SemVer', () => {
    // versioning refused these, wheel passed them through unmapped
    for (const version of ['1.2.0-next.1', '1.2.0-rc.1.2', '1.2', 'v1.2.0', '01.2.0'])
      expect(pep440OfSemver(version)).toBeUndefined()
  })

  it('normalizes every PEP 440 spelling and compares versions', () => {
    expect(normalizePep440('1.0.0-RC_1')).toBe('1.0.0rc1')
    expect(normalizePep440('v1.0.0.Alpha.2')).toBe('1.0.0a2')
    expect(normalizePep440('1.0-1')).toBe('1.0.post1')
    expect(normalizePep440('0!1.02.0-preview3.rev4-dev5+Ubuntu-1')).toBe('1.2.0rc3.post4.dev5+ubuntu.1')
    expect(normalizePep440('1.0.0-next')).toBeUndefined()
    expect(samePythonVersion('1.0', '1.0.0')).toBe(true)
    expect(samePythonVersion('1.0.1', '1.0.0')).toBe(false)
    expect(samePythonVersion('1.0.0rc1', '1.0.0-rc.1')).toBe(true)
  })

  it('knows the normalized spelling, what pyproject.toml may hold as a current version', () => {
    for (const version of ['1.2.0', '1.2.0rc1', '1.2.0.post1.dev2', '1.2.0+local.7', '1!2.0'])
      expect(isNormalizedPep440(version)).toBe(true)
    for (const version of ['1.2.0-rc.1', '1.2.0RC1', '1.02.0', 'v1.2.0', '1.2.0.dev'])
      expect(isNormalizedPep440(version)).toBe(false)
  })

  it('maps PEP 440 back to SemVer for `polyship init`, the inverse of the SemVer mapping', () => {
    const cases: [string, string | undefined][] = [
      ['1.2.0rc1', '1.2.0-rc.1'],
      ['1.2', '1.2.0'],
      ['v1.2.3a4', '1.2.3-alpha.4'],
      ['1.2.0b', '1.2.0-beta.0'],
      ['1.2.0c2', '1.2.0-rc.2'],
      ['1.2.0.dev3', '1.2.0-dev.3'],
      ['1.2.0rc1.dev2', '1.2.0-rc.1.dev.2'],
      ['1.2.0.post1', undefined],
      ['1!1.2.0', undefined],
      ['1.2.3.4', undefined],
      ['1.2.0+local', undefined],
      ['1', undefined],
    ]
    expect(cases.map(([python]) => [python, semverOfPep440(python)])).toEqual(cases)
    for (const semver of ['1.2.0', '1.2.0-rc.1', '1.2.0-alpha.4', '1.2.0-dev.3'])
      expect(semverOfPep440(pep440OfSemver(semver)!)).toBe(semver)
  })
})

describe('wheel and sdist file names: one parser for the publisher and the image assembler', () => {
  it('parses wheel names, expanding compressed tag sets, with an optional build tag', () => {
    const wheel = parseWheelFilename(
      'fastjson-0.1.0-cp39-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl',
    )
    expect(wheel).toMatchObject({
      kind: 'wheel',
      distribution: 'fastjson',
      version: '0.1.0',
      pythonTag: 'cp39',
    })
    expect(wheel?.build).toBeUndefined()
    expect(wheel?.tags.map((t) => t.platform)).toEqual(['manylinux2014_x86_64', 'manylinux_2_17_x86_64'])
    const pure = parseWheelFilename('fast_json-1.0-1b-py2.py3-none-any.whl')
    expect(pure).toMatchObject({
      distribution: 'fast_json',
      version: '1.0',
      build: '1b',
      pythonTag: 'py2.py3',
    })
    expect(pure?.tags).toEqual([
      { interpreter: 'py2', abi: 'none', platform: 'any' },
      { interpreter: 'py3', abi: 'none', platform: 'any' },
    ])
  })

  it('parses sdists and refuses anything else', () => {
    expect(parseDistributionFilename('fast_json-0.1.0.tar.gz')).toEqual({
      kind: 'sdist',
      filename: 'fast_json-0.1.0.tar.gz',
      distribution: 'fast_json',
      version: '0.1.0',
    })
    expect(parseDistributionFilename('fastjson-0.1.0-py3-none-any.whl')?.kind).toBe('wheel')
    for (const name of [
      'fastjson.zip',
      'fastjson-0.1.0.whl',
      'fastjson-0.1.0-py3-none.whl',
      'a-1-x-py3-none-any.whl',
    ])
      expect(parseWheelFilename(name)).toBeUndefined()
    expect(parseDistributionFilename('fastjson.zip')).toBeUndefined()
  })

  it('knows PEP 508 project names (`..` would move the headers directory)', () => {
    for (const name of ['fastjson', 'fast_json', 'a', 'A.b-c_9'])
      expect(isValidDistributionName(name)).toBe(true)
    for (const name of ['..', '.', '.hidden', 'trailing.', 'ünicode', '_lead', ''])
      expect(isValidDistributionName(name)).toBe(false)
  })

  it('normalizes project names as indexes file them (PEP 503) and as file names write them (PEP 427)', () => {
    expect(normalizePythonName('Fast_JSON..Utils')).toBe('fast-json-utils')
    expect(escapePythonName('Fast-JSON.utils')).toBe('fast_json_utils')
  })
})

describe('PEP 440 order and specifiers: one reading for Requires-Python and `polyship version`', () => {
  it('orders dev < pre < final < post, padding release segments, ignoring local labels', () => {
    const sorted = ['1.0.post1', '1.0', '1.0rc1', '1.0a1', '1.0.dev1', '1.0b2', '0.9', '1!0.1', '1.0.1']
    expect([...sorted].sort(comparePythonVersions)).toEqual([
      '0.9',
      '1.0.dev1',
      '1.0a1',
      '1.0b2',
      '1.0rc1',
      '1.0',
      '1.0.post1',
      '1.0.1',
      '1!0.1',
    ])
    expect(comparePythonVersions('1.0', '1.0.0')).toBe(0)
    expect(comparePythonVersions('1.0+local.7', '1.0')).toBe(0)
    expect(isPythonPreRelease('2.0.0rc1')).toBe(true)
    expect(isPythonPreRelease('2.0.0.dev3')).toBe(true)
    expect(isPythonPreRelease('2.0.0.post1')).toBe(false)
  })

  it('reads the clauses PEP 440 allows and refuses the others', () => {
    expect(parseSpecifierClause(' >= 3.9 ')).toEqual({ operator: '>=', version: '3.9' })
    expect(parseSpecifierClause('!=3.10.*')).toEqual({ operator: '!=', version: '3.10.*' })
    expect(parseSpecifierClause('===foo')).toEqual({ operator: '===', version: 'foo' })
    for (const text of ['>=3.*', '~=3', '>=banana', '3.9', '=>3.9'])
      expect(parseSpecifierClause(text)).toBeUndefined()
  })

  it.each([
    ['>=1.0', '1.2.0', true],
    ['>=1.0', '2.0.0rc1', false], // a range admits a pre-release only when it names one
    ['>=2.0.0rc1', '2.0.0rc2', true],
    ['==2.0.0rc1', '2.0.0rc1', true],
    ['==1.2.*', '1.2', true], // zero padding
    ['==1.2.*', '1.3.0', false],
    ['!=1.2.*', '1.2.5', false],
    ['!=1.2.*', '1.3.0', true],
    ['~=1.2', '1.9.0', true],
    ['~=1.2.0', '1.3.0', false],
    ['<2', '1.9.9', true],
    ['===1.0', '1.0.0', false],
  ])('%s admits %s: %s', (clause, version, expected) => {
    expect(admitsPythonVersion(parseSpecifierClause(clause)!, version)).toBe(expected)
  })
})
