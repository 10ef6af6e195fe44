import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '@polyship/core'

/** A unique scope per test process, so tests sharing one Verdaccio never collide. */
export const SCOPE = `@t${process.pid}`

export interface NpmWorkspace {
  readonly root: string
  /** Directory of a package by its folder name. */
  dir(folder: string): string
  /** Writes `<folder>/package.json` (and an index.js with `body`). */
  write(folder: string, manifest: object, body?: string): Promise<void>
  remove(): Promise<void>
}

/** A throwaway pnpm workspace (packages under `packages/*`) with a catalog. */
export async function npmWorkspace(catalog: Readonly<Record<string, string>> = {}): Promise<NpmWorkspace> {
  const root = await mkdtemp(join(tmpdir(), 'polyship-npm-ws-'))
  const lines = Object.entries(catalog).map(([name, range]) => `  '${name}': '${range}'\n`)
  await writeFile(
    join(root, 'pnpm-workspace.yaml'),
    `packages:\n  - packages/*\n${lines.length > 0 ? `catalog:\n${lines.join('')}` : ''}`,
  )
  await writeFile(join(root, 'package.json'), '{ "name": "npm-test-root", "private": true }\n')
  const dir = (folder: string) => join(root, 'packages', folder)
  return {
    root,
    dir,
    async write(folder, manifest, body = 'module.exports = 1\n') {
      await mkdir(dir(folder), { recursive: true })
      await writeFile(join(dir(folder), 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
      await writeFile(join(dir(folder), 'index.js'), body)
    },
    remove: () => rm(root, { recursive: true, force: true }),
  }
}

/** npm with a throwaway cache and no user config, so nothing of this machine leaks in. */
export async function npm(args: readonly string[], cwd: string, home: string): Promise<string> {
  const env: Record<string, string | undefined> = { ...process.env }
  for (const name of Object.keys(env)) if (/^npm_config_/i.test(name)) delete env[name]
  const result = await run('npm', args, {
    cwd,
    env: {
      ...env,
      HOME: home,
      npm_config_cache: join(home, '.npm'),
      npm_config_userconfig: join(home, '.npmrc'),
      npm_config_update_notifier: 'false',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
    },
    timeoutMs: 120_000,
  })
  return result.stdout
}
