import {
  compareSemVer,
  distTagFor,
  encodedName,
  parsePackageName,
  parseSemVer,
  tarballFileName,
} from '@polyship/npm'
import { describe, expect, it } from 'vitest'

const v = (text: string) => parseSemVer(text, 'test')

describe('SemVer precedence and dist-tags', () => {
  it('orders versions as SemVer 2 does', () => {
    const sorted = [
      '1.0.0',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-beta.11',
      '1.0.0-beta.2',
      '1.0.0-rc.1',
      '0.9.9',
      '2.0.0-0',
    ]
      .map(v)
      .sort(compareSemVer)
      .map((x) => x.text)
    expect(sorted).toEqual([
      '0.9.9',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '2.0.0-0',
    ])
  })

  it('puts a prerelease under its identifier, else next; a release under the stable tag', () => {
    expect(
      ['1.0.0', '1.0.0-beta.1', '1.0.0-rc.2', '1.0.0-0', '1.0.0-latest.1', '1.0.0-v2'].map((t) =>
        distTagFor(v(t)),
      ),
    ).toEqual(['latest', 'beta', 'rc', 'next', 'next', 'next'])
    expect(distTagFor(v('1.0.0'), 'stable')).toBe('stable')
  })
})

describe('names', () => {
  it('spells scoped names as npm does in URLs and file names', () => {
    const name = parsePackageName('@acme/tool', 'test')
    expect(encodedName(name)).toBe('@acme%2ftool')
    expect(tarballFileName(name, '1.2.3')).toBe('acme-tool-1.2.3.tgz')
  })

  it.each(['Upper', '.dot', '_under', '@scope', 'a b', 'node_modules', 'x'.repeat(215)])(
    'refuses %s',
    (name) => {
      expect(() => parsePackageName(name, 'test')).toThrow(
        expect.objectContaining({ code: 'NPM_NAME_INVALID' }),
      )
    },
  )
})
