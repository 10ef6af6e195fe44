import { execFileSync } from 'node:child_process'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { buildImage, ContainerError, imageRepository, parseWheelName } from '@polyship/container'
import type { Artifact } from '@polyship/core'
import { RegistryClient } from '@polyship/oci'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AMD64, binaryArtifact, EPOCH, makeProject, temps, wheelArtifact } from './helpers.ts'

/**
 * Names that come from a wheel or an artifact and become file names in an image layer: a
 * console script `.` is /usr/local/bin itself, a distribution `..` moves the headers
 * directory. Each is refused before any layer is written, naming the wheel and the name.
 */

const dirs = temps()
const client = new RegistryClient({ retry: { attempts: 1 } })
const env = { SOURCE_DATE_EPOCH: EPOCH }
let work: string

beforeAll(async () => {
  work = await dirs.make('hostile-names')
})
afterAll(async () => {
  client.close()
  await dirs.cleanup()
})

/** A valid wheel (RECORD and all) made with Python's zipfile, whose entry_points.txt is `entryPoints`. */
function hostileWheel(
  dir: string,
  options: { entryPoints?: string; distribution?: string; extraFile?: string },
): string {
  const script = `
import base64, hashlib, json, sys, zipfile
out, spec = sys.argv[1], json.loads(sys.argv[2])
dist = spec['distribution']
files = {
  'demo_tool/__init__.py': 'def main():\\n    return 0\\n',
  f'{dist}-1.0.data/headers/demo.h': '#define DEMO 1\\n',
  f'{dist}-1.0.dist-info/METADATA': 'Metadata-Version: 2.1\\nName: demo-tool\\nVersion: 1.0\\n',
  f'{dist}-1.0.dist-info/WHEEL': 'Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n',
  f'{dist}-1.0.dist-info/entry_points.txt': spec['entryPoints'],
}
if spec.get('extraFile'):
  files[spec['extraFile']] = 'print("planted")\\n'
record = ''
for name, text in files.items():
  data = text.encode()
  digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()
  record += f'{name},sha256={digest},{len(data)}\\n'
record += f'{dist}-1.0.dist-info/RECORD,,\\n'
with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:
  for name, text in files.items():
    z.writestr(name, text)
  z.writestr(f'{dist}-1.0.dist-info/RECORD', record)
`
  const distribution = options.distribution ?? 'demo_tool'
  const path = join(dir, `${distribution}-1.0-py3-none-any.whl`)
  execFileSync('python3', [
    '-c',
    script,
    path,
    JSON.stringify({
      distribution,
      entryPoints: options.entryPoints ?? '[console_scripts]\ndemo = demo_tool:main\n',
      ...(options.extraFile === undefined ? {} : { extraFile: options.extraFile }),
    }),
  ])
  return path
}

async function failure(artifacts: readonly Artifact[], name: string): Promise<ContainerError> {
  const project = await makeProject(join(work, 'projects', name), {
    base: 'scratch',
    platforms: ['linux/amd64'],
    entrypoint: ['/usr/local/bin/demo'],
    python: { version: '3.12' },
  })
  try {
    const image = await buildImage({ project, artifacts }, { env, client })
    await image.dispose()
  } catch (error) {
    if (error instanceof ContainerError) return error
    throw error
  }
  throw new Error(`${name}: the image was built`)
}

describe('finding 8: a name that is not a file name never becomes a path in a layer', () => {
  const SCRIPT_NAMES: readonly [label: string, name: string][] = [
    ['dot', '.'],
    ['dot-dot', '..'],
    ['slash', 'bin/evil'],
    ['climbing', '../../etc/passwd'],
    ['nul', 'de\u0000mo'],
    ['control', 'de\u0001mo'],
    ['escape', 'de\u001bmo'],
    ['delete', 'de\u007fmo'],
  ]
  for (const [label, name] of SCRIPT_NAMES) {
    for (const group of ['console_scripts', 'gui_scripts']) {
      it(`refuses a ${group} entry named ${label} (${JSON.stringify(name)})`, async () => {
        const dir = join(work, 'wheels', `${group}-${label}`)
        await mkdir(dir, { recursive: true })
        const wheel = hostileWheel(dir, { entryPoints: `[${group}]\n${name} = demo_tool:main\n` })
        const error = await failure([await wheelArtifact(wheel)], `${group}-${label}`)
        expect(error.code).toBe('CONTAINER_NAME_INVALID')
        expect(error.message).toContain('demo_tool-1.0-py3-none-any.whl')
        expect(error.message).toContain(JSON.stringify(name))
        expect(error.message).toContain(`[${group}]`)
        expect(error.hint).toMatch(/project\.scripts/)
      })
    }
  }

  it('refuses an entry with an empty name', async () => {
    const dir = join(work, 'wheels', 'empty')
    await mkdir(dir, { recursive: true })
    const wheel = hostileWheel(dir, { entryPoints: '[console_scripts]\n = demo_tool:main\n' })
    const error = await failure([await wheelArtifact(wheel)], 'empty')
    expect(['CONTAINER_NAME_INVALID', 'CONTAINER_WHEEL_INVALID']).toContain(error.code)
    expect(error.message).toContain('demo_tool-1.0-py3-none-any.whl')
  })

  it('still installs a script with a plain dotted name', async () => {
    const dir = join(work, 'wheels', 'plain')
    await mkdir(dir, { recursive: true })
    const wheel = hostileWheel(dir, { entryPoints: '[console_scripts]\ndemo.cli-2_x = demo_tool:main\n' })
    const project = await makeProject(join(work, 'projects', 'plain'), {
      base: 'scratch',
      platforms: ['linux/amd64'],
      entrypoint: ['/usr/local/bin/demo.cli-2_x'],
      python: { version: '3.12' },
    })
    const image = await buildImage({ project, artifacts: [await wheelArtifact(wheel)] }, { env, client })
    await image.dispose()
  })

  const BINARY_NAMES: readonly [label: string, name: string][] = [
    ['dot', '.'],
    ['dot-dot', '..'],
    ['empty', ''],
    ['slash', 'sub/demo'],
    ['backslash', 'sub\\demo'],
    ['nul', 'de\u0000mo'],
    ['newline', 'de\nmo'],
  ]
  for (const [label, name] of BINARY_NAMES) {
    it(`refuses a binary artifact named ${label} (${JSON.stringify(name)})`, async () => {
      const file = join(work, 'binaries', label, 'demo')
      await mkdir(join(file, '..'), { recursive: true })
      await writeFile(file, '#!/bin/sh\n', { mode: 0o755 })
      const artifact = { ...(await binaryArtifact(file, AMD64)), name }
      const error = await failure([artifact], `binary-${label}`)
      expect(error.code).toBe('CONTAINER_NAME_INVALID')
      expect(error.message).toContain('binary artifact of demo')
      expect(error.message).toContain(JSON.stringify(name))
    })
  }
})

describe('finding 8: a wheel entry whose path segment is not a file name', () => {
  for (const [label, entry] of [
    ['a control character', 'demo_tool/ev\u0001il.py'],
    ['a newline', 'demo_tool/ev\nil.py'],
    ['a backslash', 'demo_tool\\..\\..\\evil.py'],
    ['a dot segment', 'demo_tool/./evil.py'],
  ] as const) {
    it(`refuses an entry holding ${label}`, async () => {
      const dir = join(work, 'wheels', `entry-${label.replaceAll(' ', '-')}`)
      await mkdir(dir, { recursive: true })
      const wheel = hostileWheel(dir, { extraFile: entry })
      const error = await failure([await wheelArtifact(wheel)], `entry-${label.replaceAll(' ', '-')}`)
      expect(error.code).toBe('CONTAINER_PATH_ESCAPES')
      expect(error.message).toContain(JSON.stringify(entry))
    })
  }
})

describe('finding 14: a wheel distribution name that is not a Python project name', () => {
  for (const distribution of ['..', '.', '.hidden', 'trailing.', 'ünicode', '_lead']) {
    it(`refuses the wheel file name ${distribution}-1.0-py3-none-any.whl`, async () => {
      expect(() => parseWheelName(`/w/${distribution}-1.0-py3-none-any.whl`)).toThrow(
        expect.objectContaining({ code: 'CONTAINER_NAME_INVALID' }),
      )
    })
  }

  it('refuses a wheel whose distribution is ".." before it moves the headers directory', async () => {
    const dir = join(work, 'wheels', 'dist-dotdot')
    await mkdir(dir, { recursive: true })
    const wheel = hostileWheel(dir, { distribution: '..' })
    expect((await readdir(dir)).length).toBe(1)
    const error = await failure([await wheelArtifact(wheel)], 'dist-dotdot')
    expect(error.code).toBe('CONTAINER_NAME_INVALID')
    expect(error.message).toContain('distribution name ".."')
  })
})

describe('finding 14: the image repository a project publishes to', () => {
  const project = (name: string, repository?: string) => ({
    name,
    manifestPath: '/ws/packages/demo/package.json',
    config: { image: { base: 'static', ...(repository === undefined ? {} : { repository }) } },
  })
  for (const name of ['@scope/a..b', '-lead', 'trail-', 'a~b', '@scope/.dot', 'a._b']) {
    it(`refuses the default repository from the package name ${JSON.stringify(name)}`, () => {
      let caught: unknown
      try {
        imageRepository(project(name))
      } catch (error) {
        caught = error
      }
      expect(caught).toBeInstanceOf(ContainerError)
      const error = caught as ContainerError
      expect(error.code).toBe('CONTAINER_CONFIG_INVALID')
      expect(error.message).toContain(`from name "${name}"`)
      expect(error.message).toContain('/ws/packages/demo/package.json')
      const suggested = /"([^"]+)"$/.exec(error.hint ?? '')?.[1] ?? ''
      // the suggestion is itself a valid name
      expect(imageRepository(project('ok', suggested))).toBe(suggested)
    })
  }
  it('keeps the default for a valid package name, lowercased without @', () => {
    expect(imageRepository(project('@Team/App-9'))).toBe('team/app-9')
  })
})
