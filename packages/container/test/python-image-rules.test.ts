import { describe, expect, it } from 'vitest'
import { satisfiesRequiresPython } from '../src/python/requires-python.ts'
import { isRuntimeRequirement } from '../src/python/wheel-metadata.ts'

describe('Requires-Python against the image Python (3.11 taken as 3.11.0, like pip --python-version)', () => {
  it.each([
    ['>=3.9', true],
    ['>=3.12', false],
    ['>=3.8,<4', true],
    ['<3.11', false],
    ['<=3.11', true],
    ['>3.11', false],
    ['!=3.11.*', false],
    ['!=3.10.*', true],
    ['==3.11.*', true],
    ['==3.*', true],
    ['~=3.9', true],
    ['~=3.12', false],
    ['>= 3.7 , != 3.8.*', true],
    ['', true],
  ])('%j -> %s', (specifier, expected) => {
    expect(satisfiesRequiresPython('3.11', specifier)).toBe(expected)
  })
})

describe('which Requires-Dist lines go to the resolver', () => {
  it.each([
    ['six>=1.16', true],
    ['pytest>=7 ; extra == "test"', false],
    ["pytest>=7; extra=='test'", false],
    ['tomli>=1 ; python_version < "3.11"', true],
    ['x ; extra == "a" or python_version < "3.8"', true],
  ])('%j -> %s', (requirement, expected) => {
    expect(isRuntimeRequirement(requirement)).toBe(expected)
  })
})
