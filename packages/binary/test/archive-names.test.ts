import { basename } from 'node:path'
import { archiveFileName, archiveNameFields, buildBinaryRelease, renderArchiveName } from '@polyship/binary'
import { CoreError, parsePlatform } from '@polyship/core'
import { afterAll, describe, expect, it } from 'vitest'
import { codeOf, makeWorkspace, removeWorkspaces, sh } from './workspace.ts'

const stamp = { commit: 'abc1234', date: '2026-01-02T03:04:05Z' }
const GORELEASER_DEFAULT =
  '{{ .ProjectName }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}{{ with .Arm }}v{{ . }}{{ end }}'

function tinyGo(polyship: object, files: Record<string, string> = {}): Record<string, string> {
  return {
    'package.json': JSON.stringify({
      name: '@acme/tiny',
      version: '1.0.0',
      polyship: { binary: { toolchain: 'go', platforms: ['linux/amd64', 'linux/arm/v7'], ...polyship } },
    }),
    'go.mod': 'module example.com/tiny\n\ngo 1.22\n',
    'main.go': 'package main\n\nfunc main() { println("tiny") }\n',
    LICENSE: 'MIT\n',
    'README.md': '# tiny\n',
    ...files,
  }
}

const names = (release: { archives: readonly { path: string }[] }) =>
  release.archives.map((a) => basename(a.path))
const listing = (archive: string) => sh('tar', ['-tzf', archive]).trim().split('\n')

describe('archive name templates', () => {
  afterAll(removeWorkspaces)

  it('render GoReleaser`s fields; its default template names what polyship names by default', () => {
    for (const text of ['linux/amd64', 'linux/arm/v7', 'linux/arm64', 'windows/amd64']) {
      const platform = parsePlatform(text)
      expect(archiveFileName('@acme/tiny', 'v1.2.0', platform, { template: GORELEASER_DEFAULT })).toBe(
        archiveFileName('@acme/tiny', 'v1.2.0', platform),
      )
    }
    const arm = archiveNameFields('tiny', '1.2.0', parsePlatform('linux/arm/v7'), 'tinyd')
    expect(
      renderArchiveName('{{ .Binary }}-{{.Os}}-{{ .Arch }}{{ if .Arm }}-v{{ .Arm }}{{ end }}', arm),
    ).toBe('tinyd-linux-arm-v7')
    const amd = archiveNameFields('tiny', '1.2.0', parsePlatform('linux/amd64/v3'))
    expect(renderArchiveName('{{ .ProjectName }}-{{ .Arch }}{{ with .Amd64 }}.{{ . }}{{ end }}', amd)).toBe(
      'tiny-amd64.v3',
    )
    expect(
      renderArchiveName('{{- .ProjectName -}}_{{ if .Arm }}{{ with .Arm }}v{{ . }}{{ end }}{{ end }}x', amd),
    ).toBe('tiny_x')
  })

  it('a bad template is BINARY_PROJECT_INVALID naming the field and the placeholder', () => {
    const fields = archiveNameFields('tiny', '1.2.0', parsePlatform('linux/amd64'))
    const error = (template: string) => {
      try {
        renderArchiveName(template, fields, 'proj/package.json: polyship.binary.archiveName')
      } catch (e) {
        expect((e as { code?: string }).code).toBe('BINARY_PROJECT_INVALID')
        return (e as Error).message
      }
      throw new Error(`${template} rendered`)
    }
    expect(error('{{ .ProjectName }}_{{ .Goos }}')).toBe(
      'proj/package.json: polyship.binary.archiveName: unknown placeholder {{ .Goos }} in "{{ .ProjectName }}_{{ .Goos }}"',
    )
    expect(error('{{ .Os | upper }}')).toMatch(/unknown placeholder \{\{ \.Os \| upper \}\}/)
    expect(error('{{ if .Arm }}v')).toMatch(/\{\{ if \.Arm \}\} has no \{\{ end \}\}/)
    expect(error('x{{ end }}')).toMatch(/closes no/)
    expect(error('{{ . }}')).toMatch(/outside a \{\{ with \}\} block/)
    expect(error('{{ .Os }}/{{ .Arch }}')).toMatch(/renders "linux\/amd64", which is not a file name/)
    expect(error('{ .Os }')).toMatch(/a brace outside/)
  })

  it('an unknown placeholder is refused when the config is loaded (CONFIG_INVALID naming the field)', async () => {
    const message = await makeWorkspace(tinyGo({ archiveName: '{{ .ProjectName }}_{{ .Goos }}' })).catch(
      (error: unknown) => {
        expect(error).toBeInstanceOf(CoreError)
        expect((error as CoreError).code).toBe('CONFIG_INVALID')
        return (error as Error).message
      },
    )
    expect(message).toMatch(/polyship\.binary\.archiveName: "\{\{ \.ProjectName \}\}_\{\{ \.Goos \}\}"/)
  })

  it('name the archives a release writes, and the checksums file lists those names', async () => {
    const ws = await makeWorkspace(
      tinyGo({
        archiveName: '{{ .Binary }}-{{ .Version }}-{{ .Os }}-{{ .Arch }}{{ with .Arm }}v{{ . }}{{ end }}',
      }),
    )
    const release = await buildBinaryRelease(ws.project, { ...stamp, outDir: ws.outDir })
    expect(names(release)).toEqual(['tiny-1.0.0-linux-amd64.tar.gz', 'tiny-1.0.0-linux-armv7.tar.gz'])
    expect(sh('sha256sum', ['-c', basename(release.checksums.path)], ws.outDir)).toBe(
      'tiny-1.0.0-linux-amd64.tar.gz: OK\ntiny-1.0.0-linux-armv7.tar.gz: OK\n',
    )
    // Defaults: LICENSE and README beside the binary.
    expect(listing(release.archives[0]!.path)).toEqual(['LICENSE', 'README.md', 'tiny'])
  })

  it('two platforms under one name are refused before any archive is written', async () => {
    const ws = await makeWorkspace(tinyGo({ archiveName: '{{ .ProjectName }}_{{ .Os }}' }))
    expect(await codeOf(buildBinaryRelease(ws.project, { ...stamp, outDir: ws.outDir }))).toMatch(
      /^BINARY_PROJECT_INVALID: .*polyship\.binary\.archiveName names the archives of linux\/amd64 and linux\/arm\/v7 both tiny_linux\.tar\.gz/,
    )
  })
})

describe('archiveFiles', () => {
  afterAll(removeWorkspaces)

  it('[] ships the binaries alone: no LICENSE, README or CHANGELOG', async () => {
    const ws = await makeWorkspace(
      tinyGo({ archiveFiles: [], platforms: ['linux/amd64'] }, { 'CHANGELOG.md': '# 1.0.0\n' }),
    )
    const release = await buildBinaryRelease(ws.project, { ...stamp, outDir: ws.outDir })
    expect(listing(release.archives[0]!.path)).toEqual(['tiny'])
  })

  it('a list ships the defaults and the listed files', async () => {
    const ws = await makeWorkspace(
      tinyGo(
        { archiveFiles: ['docs/usage.txt'], platforms: ['linux/amd64'] },
        { 'docs/usage.txt': 'run it\n' },
      ),
    )
    const release = await buildBinaryRelease(ws.project, { ...stamp, outDir: ws.outDir })
    expect(listing(release.archives[0]!.path)).toEqual([
      'LICENSE',
      'README.md',
      'docs/',
      'docs/usage.txt',
      'tiny',
    ])
  })
})
