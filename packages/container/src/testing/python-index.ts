import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, readdir, rename, rm } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { run, wheelRecordHash, writeArchive } from '@polyship/core'
import { freePort, stopProcess, waitUntilAnswering } from '@polyship/oci/testing'

export interface TestWheelOptions {
  readonly name: string
  readonly version: string
  /** Files by path inside the wheel, e.g. `{ 'greet/__init__.py': '...' }`. */
  readonly files: Readonly<Record<string, string>>
  readonly requires?: readonly string[]
  readonly requiresPython?: string
  /** `console_scripts`: name -> `module:function`. */
  readonly scripts?: Readonly<Record<string, string>>
  /** Default `py3-none-any`. */
  readonly tag?: string
}

/**
 * Writes a valid wheel (METADATA with Requires-Dist and Requires-Python, WHEEL,
 * entry_points.txt, RECORD with hashes) from in-memory files; returns its path.
 */
export async function writeTestWheel(dir: string, options: TestWheelOptions): Promise<string> {
  const escaped = options.name.replace(/[-_.]+/g, '_')
  const info = `${escaped}-${options.version}.dist-info`
  const tag = options.tag ?? 'py3-none-any'
  const metadata = [
    'Metadata-Version: 2.1',
    `Name: ${options.name}`,
    `Version: ${options.version}`,
    ...(options.requiresPython === undefined ? [] : [`Requires-Python: ${options.requiresPython}`]),
    ...(options.requires ?? []).map((r) => `Requires-Dist: ${r}`),
    '',
    '',
  ].join('\n')
  const files: [string, string][] = [
    ...Object.entries(options.files),
    [`${info}/METADATA`, metadata],
    [
      `${info}/WHEEL`,
      `Wheel-Version: 1.0\nGenerator: polyship-testing\nRoot-Is-Purelib: ${tag.endsWith('-any')}\nTag: ${tag}\n`,
    ],
  ]
  if (options.scripts !== undefined) {
    const lines = Object.entries(options.scripts).map(([name, target]) => `${name} = ${target}`)
    files.push([`${info}/entry_points.txt`, `[console_scripts]\n${lines.join('\n')}\n`])
  }
  const record = [
    ...files.map(([path, text]) => `${path},${wheelRecordHash(text)},${Buffer.byteLength(text)}`),
    `${info}/RECORD,,`,
    '',
  ].join('\n')
  files.push([`${info}/RECORD`, record])
  const path = join(dir, `${escaped}-${options.version}-${tag}.whl`)
  await writeArchive(
    path,
    files.map(([p, content]) => ({ type: 'file' as const, path: p, content })),
    { format: 'zip', mtime: 1_700_000_000 },
  )
  return path
}

/** Writes an sdist (`<name>-<version>.tar.gz` with PKG-INFO and pyproject.toml) and no wheel: what "only an sdist" looks like in an index. */
export async function writeTestSdist(dir: string, name: string, version: string): Promise<string> {
  const top = `${name.replace(/[-_.]+/g, '_')}-${version}`
  const path = join(dir, `${top}.tar.gz`)
  await writeArchive(
    path,
    [
      {
        type: 'file',
        path: `${top}/PKG-INFO`,
        content: `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`,
      },
      {
        type: 'file',
        path: `${top}/pyproject.toml`,
        content: `[project]\nname = "${name}"\nversion = "${version}"\n`,
      },
    ],
    { format: 'tar.gz', mtime: 1_700_000_000 },
  )
  return path
}

/**
 * Real wheels from PyPI for the given pip platform tags (`manylinux2014_x86_64`), downloaded
 * once with `pip download --only-binary=:all: --no-deps` into `cacheDir` (default
 * `$POLYSHIP_CACHE/python-wheels`) and reused offline afterwards. `python` runs pip
 * (default the bootstrap venv's). Returns the wheel files.
 */
export async function cachedPypiWheels(options: {
  readonly requirements: readonly string[]
  readonly platforms: readonly string[]
  readonly pythonVersion: string
  readonly cacheDir?: string
  readonly python?: string
}): Promise<string[]> {
  const cache = options.cacheDir ?? join(defaultCache(), 'python-wheels')
  const out: string[] = []
  for (const platform of options.platforms) {
    for (const requirement of options.requirements) {
      const dir = join(
        cache,
        `${options.pythonVersion}-${platform}`,
        requirement.replace(/[^A-Za-z0-9._-]/g, '_'),
      )
      if (!existsSync(dir)) {
        const temp = `${dir}.${process.pid}.tmp`
        await rm(temp, { recursive: true, force: true })
        await run(options.python ?? join(defaultCache(), 'venv', 'bin', 'python'), [
          '-m',
          'pip',
          'download',
          '--quiet',
          '--disable-pip-version-check',
          '--only-binary=:all:',
          '--no-deps',
          '--platform',
          platform,
          '--python-version',
          options.pythonVersion,
          '--dest',
          temp,
          requirement,
        ])
        await mkdir(join(dir, '..'), { recursive: true })
        await rename(temp, dir)
      }
      for (const file of (await readdir(dir)).sort()) out.push(join(dir, file))
    }
  }
  return out
}

export interface PythonIndex {
  /** The PEP 503 simple index: `http://127.0.0.1:<port>/simple/`. */
  readonly url: string
  readonly dir: string
  stop(): Promise<void>
}

/**
 * pypiserver on loopback serving copies of `files` (no fallback to pypi.org: a package not
 * given is missing); `command` defaults to `pypi-server` on PATH.
 */
export async function startPythonIndex(
  dir: string,
  files: readonly string[],
  command = 'pypi-server',
): Promise<PythonIndex> {
  await mkdir(dir, { recursive: true })
  for (const file of files) await copyFile(file, join(dir, file.split('/').pop()!))
  for (let attempt = 0; ; attempt++) {
    const port = await freePort()
    const child = spawn(
      command,
      ['run', '-i', '127.0.0.1', '-p', String(port), '-P', '.', '-a', '.', '--disable-fallback', dir],
      { stdio: 'ignore' },
    )
    const url = `http://127.0.0.1:${port}/simple/`
    if (await waitUntilAnswering(url, child)) return { url, dir, stop: () => stopProcess(child) }
    await stopProcess(child)
    if (attempt >= 2) throw new Error(`${command} did not start on port ${port}`)
  }
}

function defaultCache(): string {
  return (
    process.env.POLYSHIP_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'polyship')
  )
}
