import { join } from 'node:path'
import {
  buildWheels,
  checkBuilt,
  detectToolchain,
  inspectDistribution,
  planTargets,
  readPythonProject,
  type WheelError,
} from '@polyship/wheel'
import { writeSyntheticWheel } from '@polyship/wheel/testing'
import { describe, expect, it } from 'vitest'
import { caught } from './helpers.ts'
import { copyExample, edit, editJson, ensureDir, projectIn } from './workspace.ts'

describe('pyproject checks (no build)', () => {
  it('reads the example: static version, distribution name, Cargo manifest', async () => {
    const dir = await copyExample('read')
    const python = await readPythonProject(await projectIn(dir))
    expect([python.distribution, python.version, python.versionSource]).toEqual([
      'fastjson',
      '0.1.0',
      `${join(dir, 'pyproject.toml')} project.version`,
    ])
  })

  it('names both files when package.json and pyproject.toml disagree on the name, and accepts a declared mapping', async () => {
    const dir = await copyExample('name')
    await editJson(join(dir, 'package.json'), (p) => {
      p.name = 'fastjson-py'
      delete (p.polyship as { wheel: Record<string, unknown> }).wheel.distribution
    })
    const error = await caught(readPythonProject(await projectIn(dir)))
    expect(error.code).toBe('WHEEL_NAME_MISMATCH')
    expect(error.message).toBe(
      `${join(dir, 'package.json')} name is "fastjson-py" but ${join(dir, 'pyproject.toml')} project.name is "fastjson"`,
    )
    expect(error.hint).toContain('"distribution": "fastjson"')
    await editJson(join(dir, 'package.json'), (p) => {
      ;(p.polyship as { wheel: Record<string, unknown> }).wheel.distribution = 'FastJSON'
    })
    expect((await readPythonProject(await projectIn(dir))).distribution).toBe('fastjson')
  })

  it('refuses a pyproject without a version that is not dynamic', async () => {
    const dir = await copyExample('noversion')
    await edit(join(dir, 'pyproject.toml'), (t) => t.replace(/^version = .*\n/m, ''))
    const error = await caught(readPythonProject(await projectIn(dir)))
    expect([error.code, error.message]).toEqual([
      'WHEEL_VERSION_MISSING',
      `${join(dir, 'pyproject.toml')} has no version polyship can find: there is no project.version and "version" is not listed in project.dynamic`,
    ])
    expect(error.hint).toContain('dynamic = ["version"]')
  })

  it('takes a dynamic version from Cargo.toml and checks it against the release', async () => {
    const dir = await copyExample('dynamic')
    await edit(join(dir, 'pyproject.toml'), (t) => t.replace(/^version = .*\n/m, 'dynamic = ["version"]\n'))
    expect((await readPythonProject(await projectIn(dir))).versionSource).toBe(
      `${join(dir, 'Cargo.toml')} package.version`,
    )
    await editJson(join(dir, 'package.json'), (p) => {
      p.version = '0.2.0-rc.1'
    })
    const error = await caught(readPythonProject(await projectIn(dir)))
    expect([error.code, error.message]).toEqual([
      'WHEEL_VERSION_MISMATCH',
      `${join(dir, 'Cargo.toml')} package.version is 0.1.0 but ${join(dir, 'package.json')} releases 0.2.0-rc.1 (0.2.0rc1 in Python terms)`,
    ])
  })

  it('builds a project of another backend through uv, not maturin', async () => {
    const dir = await copyExample('backend')
    await edit(join(dir, 'pyproject.toml'), (t) =>
      t.replace('build-backend = "maturin"', 'build-backend = "hatchling.build"'),
    )
    const python = await readPythonProject(await projectIn(dir))
    expect([python.backend, python.buildBackend, python.cargoManifestPath]).toEqual([
      'hatchling',
      'hatchling.build',
      undefined,
    ])
  })

  it('says how to install maturin when it is missing', async () => {
    const dir = await copyExample('nomaturin')
    const error = await caught(
      buildWheels(await projectIn(dir), {
        outDir: join(dir, 'dist'),
        env: { ...process.env, MATURIN: 'maturin-not-installed' },
      }),
    )
    expect(error.code).toBe('WHEEL_MATURIN_MISSING')
    expect(error.hint).toContain('pip install maturin')
  })

  it('names the built file and package.json when a wheel carries another version', async () => {
    const dir = await copyExample('stale')
    const project = await projectIn(dir)
    const python = await readPythonProject(project)
    const stale = await inspectDistribution(
      await writeSyntheticWheel(await ensureDir(join(dir, 'dist')), { name: 'fastjson', version: '0.0.9' }),
    )
    const error = (() => {
      try {
        checkBuilt(stale, python, project)
      } catch (e) {
        return e as WheelError
      }
      throw new Error('expected an error')
    })()
    expect([error.code, error.message]).toEqual([
      'WHEEL_VERSION_MISMATCH',
      `${stale.path} has version 0.0.9 but ${join(dir, 'package.json')} releases 0.1.0`,
    ])
  })

  it('skips targets this machine cannot build, with the reason', async () => {
    const toolchain = await detectToolchain()
    const plan = planTargets(
      {
        targets: ['host', 'aarch64-unknown-linux-gnu', 'aarch64-apple-darwin'],
        compatibility: 'manylinux_2_17',
      },
      toolchain,
    )
    expect(plan[0]).toEqual({ status: 'build', target: toolchain.hostTriple, zig: toolchain.zig })
    for (const skipped of plan.slice(1)) {
      if (toolchain.installedTargets.has(skipped.target)) continue
      expect(skipped).toEqual({
        status: 'skipped',
        target: skipped.target,
        reason: `the Rust standard library for ${skipped.target} is not installed (rustup target add ${skipped.target})`,
      })
    }
  })
})
