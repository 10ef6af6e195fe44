import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exampleWorkspace, goProjectFiles, polyship, type TestWorkspace } from './workspace.ts'

const goProject = (name: string, archiveName: string) =>
  goProjectFiles(`go/${name}`, { binary: { platforms: ['linux/amd64', 'linux/arm/v7'], archiveName } })

/**
 * An archive name template that loads (known placeholders only) but cannot name the
 * archives is refused while every project is validated, before anything compiles.
 */
describe('archive name templates are checked before anything compiles', () => {
  let ws: TestWorkspace
  beforeAll(async () => {
    ws = await exampleWorkspace({
      projects: [],
      globs: ['go/*'],
      files: {
        ...goProject('unclosed', '{{ .ProjectName }}_{{ .Os }}_{{ .Arch }}{{ if .Arm }}v'),
        ...goProject('same', '{{ .ProjectName }}_{{ .Os }}'),
        ...goProject(
          'fine',
          '{{ .ProjectName }}-{{ .Version }}-{{ .Os }}-{{ .Arch }}{{ with .Arm }}v{{ . }}{{ end }}',
        ),
      },
    })
  }, 120_000)
  afterAll(() => ws?.remove())

  it('RELEASE_PROJECT_INVALID names each project, polyship.binary.archiveName and the placeholder; nothing is built', async () => {
    const result = await polyship(['release'], ws)
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain('RELEASE_PROJECT_INVALID')
    expect(result.stderr).toContain('2 projects cannot be released')
    expect(result.stderr).toMatch(
      /unclosed: BINARY_PROJECT_INVALID: \S*go\/unclosed\/package\.json: polyship\.binary\.archiveName: \{\{ if \.Arm \}\} has no \{\{ end \}\}/,
    )
    expect(result.stderr).toMatch(
      /same: BINARY_PROJECT_INVALID: \S*go\/same\/package\.json: polyship\.binary\.archiveName names the archives of linux\/amd64 and linux\/arm\/v7 both same_linux\.tar\.gz/,
    )
    expect(result.stderr).not.toMatch(/\bfine: /)
    expect(existsSync(join(ws.root, 'dist', 'build'))).toBe(false)

    const fine = await polyship(['release', '--only', 'fine'], ws)
    expect(fine.code, fine.stderr).toBe(0)
    expect(existsSync(join(ws.root, 'dist', 'assets', 'fine-1.0.0-linux-armv7.tar.gz'))).toBe(true)
  }, 600_000)
})
