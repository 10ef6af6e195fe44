import { archiveFileName, binstallMetadata } from '@polyship/binary'
import { type Project, parsePlatform } from '@polyship/core'
import { parse } from 'smol-toml'
import { describe, expect, it } from 'vitest'

/** cargo-binstall's GitHub defaults (crates/binstalk-fetchers/src/gh_crate_meta/hosting.rs at 75b4bfae). */
const BINSTALL_PATHS = [
  '{ version }',
  'v{ version }',
  '{ subcrate }%2F{ version }',
  '{ subcrate }%2Fv{ version }',
]
const BINSTALL_FILES = [
  '{ name }-{ target }-v{ version }{ archive-suffix }',
  '{ name }-{ target }-{ version }{ archive-suffix }',
  '{ name }-{ version }-{ target }{ archive-suffix }',
  '{ name }-v{ version }-{ target }{ archive-suffix }',
  '{ name }_{ target }_v{ version }{ archive-suffix }',
  '{ name }_{ target }_{ version }{ archive-suffix }',
  '{ name }_{ version }_{ target }{ archive-suffix }',
  '{ name }_v{ version }_{ target }{ archive-suffix }',
  '{ name }-{ target }{ archive-suffix }',
  '{ name }_{ target }{ archive-suffix }',
]

/** binstall's `{ var }` templates (leon), for the variables these use. */
const render = (template: string, vars: Record<string, string>) =>
  template.replace(/\{ *([a-z-]+) *\}/g, (whole, name: string) => vars[name] ?? whole)

function project(binary: object): Project {
  return {
    name: 'echo',
    version: '1.2.0',
    root: '/ws/echo',
    dir: 'echo',
    manifestPath: '/ws/echo/package.json',
    config: { binary: { toolchain: 'rust', ...binary } },
    dependsOn: [],
  }
}

const REPO = 'https://github.com/acme/tools'
/** Where polyship's GitHub destination puts an asset (GitHubReleases.downloadUrl). */
const assetUrl = (tag: string, name: string) =>
  `${REPO}/releases/download/${encodeURIComponent(tag)}/${encodeURIComponent(name)}`

describe('cargo-binstall metadata', () => {
  it('gives every Rust target of the platforms the URL of its archive on the GitHub release', () => {
    const platforms = ['linux/amd64', 'linux/arm/v7', 'darwin/arm64', 'windows/amd64']
    const toml = binstallMetadata(project({ platforms }))
    const meta = (parse(toml) as { package: { metadata: { binstall: Record<string, unknown> } } }).package
      .metadata.binstall as {
      'bin-dir': string
      'pkg-fmt': string
      overrides: Record<string, { 'pkg-url': string; 'pkg-fmt'?: string }>
    }
    expect(meta['bin-dir']).toBe('{ bin }{ binary-ext }')
    expect(Object.keys(meta.overrides)).toEqual([
      'x86_64-unknown-linux-gnu',
      'x86_64-unknown-linux-musl',
      'armv7-unknown-linux-gnueabihf',
      'armv7-unknown-linux-musleabihf',
      'aarch64-apple-darwin',
      'x86_64-pc-windows-msvc',
    ])
    const platformOf: Record<string, string> = {
      'x86_64-unknown-linux-gnu': 'linux/amd64',
      'x86_64-unknown-linux-musl': 'linux/amd64',
      'armv7-unknown-linux-gnueabihf': 'linux/arm/v7',
      'armv7-unknown-linux-musleabihf': 'linux/arm/v7',
      'aarch64-apple-darwin': 'darwin/arm64',
      'x86_64-pc-windows-msvc': 'windows/amd64',
    }
    for (const [triple, override] of Object.entries(meta.overrides)) {
      const name = archiveFileName('echo', '1.2.0', parsePlatform(platformOf[triple]!))
      expect(render(override['pkg-url'], { repo: REPO, version: '1.2.0', target: triple })).toBe(
        assetUrl('echo@1.2.0', name),
      )
      expect(override['pkg-fmt'] ?? meta['pkg-fmt']).toBe(name.endsWith('.zip') ? 'zip' : 'tgz')
    }
  })

  it('is needed: binstall`s default URLs never reach polyship`s tags and names', () => {
    const wanted = assetUrl('echo@1.2.0', archiveFileName('echo', '1.2.0', parsePlatform('linux/amd64')))
    const vars = {
      repo: REPO,
      version: '1.2.0',
      name: 'echo',
      subcrate: 'echo',
      target: 'x86_64-unknown-linux-gnu',
    }
    for (const path of BINSTALL_PATHS)
      for (const file of BINSTALL_FILES)
        for (const suffix of ['.tgz', '.tar.gz'])
          expect(
            render(`${REPO}/releases/download/${path}/${file}`, { ...vars, 'archive-suffix': suffix }),
          ).not.toBe(wanted)
  })

  it('follows polyship.binary.archiveName', () => {
    const toml = binstallMetadata(
      project({
        platforms: ['linux/arm64'],
        bins: ['echod'],
        archiveName: '{{ .Binary }}-{{ .Os }}-{{ .Arch }}-{{ .Version }}',
      }),
    )
    expect(toml).toContain(
      '[package.metadata.binstall.overrides.aarch64-unknown-linux-gnu]\npkg-url = "{ repo }/releases/download/echo%40{ version }/echod-linux-arm64-{ version }.tar.gz"\n',
    )
  })
})
