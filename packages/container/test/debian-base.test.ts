import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { debianBase } from '../src/testing/index.ts'
import { temps, unpack } from './helpers.ts'

const dirs = temps()
afterAll(() => dirs.cleanup())

describe('debianBase (test bed: a runnable base from Debian packages, no registry)', () => {
  it('builds python3 for amd64 and arm64 into an OCI layout that umoci unpacks and chroot runs as nonroot', async () => {
    const base = await debianBase({ packages: ['python3'], architectures: ['amd64', 'arm64'] })
    expect(base.installed.amd64!.some((p) => p.startsWith('python3.11='))).toBe(true)
    expect(base.installed.arm64!.some((p) => p.startsWith('libc6='))).toBe(true)
    expect(base.installed.amd64!.some((p) => p.startsWith('dpkg='))).toBe(false)
    const work = await dirs.make('debian-python')
    const rootfs = unpack(base.reference, work)
    const out = execFileSync(
      'chroot',
      [
        '--userspec=65532:65532',
        rootfs,
        '/usr/bin/python3',
        '-c',
        'import json, ssl, sqlite3; print("ok", json.dumps([1]))',
      ],
      { encoding: 'utf8' },
    )
    expect(out.trim()).toBe('ok [1]')
    // The index lists both platforms, as skopeo sees them.
    const index = JSON.parse(
      execFileSync('skopeo', ['inspect', '--raw', `oci:${base.layout}:${base.tag}`], { encoding: 'utf8' }),
    )
    expect(
      index.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture),
    ).toEqual(['amd64', 'arm64'])
  })

  it('a second call reuses the cached layout', async () => {
    const first = await debianBase({ packages: ['python3'], architectures: ['amd64', 'arm64'] })
    const again = await debianBase({ packages: ['python3'], architectures: ['amd64', 'arm64'] })
    expect(again.layout).toBe(first.layout)
    expect(existsSync(join(first.layout, 'index.json'))).toBe(true)
  })
})
