import { execFileSync } from 'node:child_process'
import { chmod, glob, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { exampleWorkspace, goProjectFiles, polyship, type TestWorkspace } from './workspace.ts'

/** Three small Go projects with 2-platform images, and a chart deploying one of them. */
function files(): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of ['svc-a', 'svc-b', 'svc-c']) {
    out[`packages/${name}/go.mod`] = `module example.com/${name}\n\ngo 1.24\n`
    out[`packages/${name}/main.go`] =
      `package main\n\nimport "fmt"\n\nvar version = "dev"\n\nfunc main() { fmt.Println("${name}", version) }\n`
    out[`packages/${name}/package.json`] = JSON.stringify({
      name,
      version: '1.0.0',
      private: true,
      license: 'MIT',
      polyship: {
        binary: {
          toolchain: 'go',
          main: '.',
          platforms: ['linux/amd64', 'linux/arm64'],
          ldflags: { version: 'main.version' },
        },
        image: {
          base: 'static',
          platforms: ['linux/amd64', 'linux/arm64'],
          entrypoint: [`/usr/local/bin/${name}`],
          user: '65532',
        },
      },
    })
  }
  out['packages/stack/Chart.yaml'] = 'apiVersion: v2\nname: stack\nversion: 1.0.0\nappVersion: "1.0.0"\n'
  out['packages/stack/values.yaml'] = 'image:\n  repository: example.com/x\n  tag: "1.0.0"\n  digest: ""\n'
  out['packages/stack/templates/pod.yaml'] =
    'apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  containers:\n    - name: app\n      image: "{{ .Values.image.repository }}@{{ .Values.image.digest }}"\n'
  out['packages/stack/package.json'] = JSON.stringify({
    name: 'stack',
    version: '1.0.0',
    private: true,
    license: 'MIT',
    dependencies: { 'svc-b': 'workspace:*' },
    polyship: { chart: { appVersionFrom: 'svc-b', images: { image: 'svc-b' } } },
  })
  return out
}

const workspaces: TestWorkspace[] = []
afterAll(async () => {
  await Promise.all(workspaces.map((ws) => ws.remove()))
})

/** A release of the same commit in a fresh workspace with `--concurrency N`: what it leaves in dist/. */
async function releaseWith(concurrency: number) {
  const ws = await exampleWorkspace({ projects: [], files: files(), globs: ['packages/*'] })
  workspaces.push(ws)
  const result = await polyship(['release', '--concurrency', String(concurrency), '--debug'], {
    root: ws.root,
    env: { ...ws.env, SOURCE_DATE_EPOCH: '1700000000' },
  })
  expect(result.stderr).not.toMatch(/error /)
  expect(result.code).toBe(0)
  const dist = join(ws.root, 'dist')
  const record = JSON.parse(await readFile(join(dist, 'release.json'), 'utf8'))
  // Signatures (and the bundles carrying SBOMs and provenance) are new with every signing.
  const { createdAt: _, ...stable } = record
  const recorded = JSON.parse(
    JSON.stringify(stable, (key, value) =>
      ['signature', 'sbom', 'spdx', 'provenance'].includes(key) && typeof value === 'object'
        ? '(signed)'
        : value,
    ),
  )
  const assets: Record<string, string> = {}
  for (const name of (await readdir(join(dist, 'assets'))).sort()) {
    if (name.endsWith('.sigstore.json')) continue
    assets[name] = (await readFile(join(dist, 'assets', name))).toString('base64')
  }
  const units: Record<string, string> = {}
  for (const unit of (await readdir(join(dist, 'build'))).filter((n) => !n.startsWith('.')).sort())
    units[unit] = await readFile(join(dist, 'build', unit, 'build.json'), 'utf8')
  // every image and chart as a registry would serve it: each release tag's digest and every
  // blob it reaches (the signatures and attestations under sha256-* tags aside)
  const images: Record<string, { tags: Record<string, string>; blobs: string[] }> = {}
  const layouts: string[] = []
  for await (const index of glob('**/index.json', { cwd: join(dist, 'oci') })) layouts.push(dirname(index))
  for (const repository of layouts.sort()) {
    const layout = join(dist, 'oci', repository)
    const blob = (digest: string) => readFile(join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length)))
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'))
    const tags: Record<string, string> = {}
    const reached = new Set<string>()
    const walk = async (digest: string): Promise<void> => {
      if (reached.has(digest)) return
      reached.add(digest)
      const bytes = await blob(digest)
      const manifest = JSON.parse(bytes.toString('utf8'))
      for (const child of manifest.manifests ?? []) await walk(child.digest)
      for (const part of [manifest.config, ...(manifest.layers ?? [])])
        if (part !== undefined) reached.add(part.digest)
    }
    for (const entry of index.manifests) {
      const tag = entry.annotations?.['org.opencontainers.image.ref.name']
      if (tag === undefined || tag.startsWith('sha256-')) continue
      tags[tag] = entry.digest
      await walk(entry.digest)
    }
    images[repository] = { tags, blobs: [...reached].sort() }
  }
  // the outcome table; the record's path and the key differ between the workspaces
  const table = result.stdout.split('\n\n')[0]
  // what the assembly step shows (--debug: every image's events), durations aside
  const shown = result.stderr.replaceAll(ws.root, '<ws>').replace(/\d+(\.\d+)?\s?m?s\b/g, '<t>')
  const assembly = shown.slice(
    shown.indexOf('❯ assemble images and charts'),
    shown.indexOf('✔ assemble images and charts'),
  )
  return { table, recorded, assets, units, images, assembly }
}

describe('concurrent builds', () => {
  it('a release with --concurrency 1 and with --concurrency 4 leaves the same dist/ (images too; signatures aside) and shows the same steps in the same order', async () => {
    const one = await releaseWith(1)
    const four = await releaseWith(4)
    expect(Object.keys(one.units)).toEqual(['stack', 'svc-a', 'svc-b', 'svc-c'])
    expect(Object.keys(one.assets).length).toBeGreaterThan(6)
    expect(four.units).toEqual(one.units)
    expect(four.assets).toEqual(one.assets)
    expect(four.recorded).toEqual(one.recorded)
    expect(four.table).toBe(one.table)
    // images assembled side by side are byte-identical to those assembled one after another
    expect(Object.keys(one.images)).toEqual(['charts/stack', 'svc-a', 'svc-b', 'svc-c'])
    expect(four.images).toEqual(one.images)
    // and what assembling them shows comes project by project, in the same order
    expect(one.assembly).toMatch(/svc-a[\s\S]*svc-b[\s\S]*svc-c/)
    expect(four.assembly).toBe(one.assembly)
  })

  it('a project that fails to compile fails the build; the project building beside it finishes its unit first', async () => {
    const broken = files()
    broken['packages/svc-b/main.go'] = 'package main\n\nfunc main() { undefined() }\n'
    const ws = await exampleWorkspace({ projects: [], files: broken, globs: ['packages/*'] })
    workspaces.push(ws)
    const result = await polyship(['build', '--concurrency', '2'], ws)
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/error BINARY_[A-Z_]+: .*svc-b/)
    // svc-a started with svc-b and was not abandoned: its unit is whole
    const unit = JSON.parse(await readFile(join(ws.root, 'dist', 'build', 'svc-a', 'build.json'), 'utf8'))
    expect(unit.binaries).toHaveLength(2)
  })

  it('writes each platform’s archive while later platforms compile', async () => {
    const ws = await exampleWorkspace({
      projects: [],
      files: goProjectFiles('packages/svc', {
        binary: { platforms: ['linux/amd64', 'linux/arm64', 'darwin/arm64'] },
      }),
      globs: ['packages/*'],
    })
    workspaces.push(ws)
    // a go that, compiling the last platform, waits (20 s at most) for the first platform's
    // archive and notes whether it came
    const build = join(ws.root, 'dist', 'build')
    const archive = join(build, 'svc', 'svc_1.0.0_linux_amd64.tar.gz')
    const seen = join(ws.root, '..', 'seen.log')
    const shims = join(ws.root, '..', 'shims')
    await mkdir(shims)
    const go = execFileSync('sh', ['-c', 'command -v go'], { env: ws.env, encoding: 'utf8' }).trim()
    const found = `[ -e '${archive}' ]`
    await writeFile(
      join(shims, 'go'),
      `#!/bin/sh
if [ "$1" = build ] && [ "$GOOS" = darwin ]; then
  i=0
  until ${found} || [ $i -ge 200 ]; do sleep 0.1; i=$((i+1)); done
  if ${found}; then echo found >> '${seen}'; else echo missing >> '${seen}'; fi
fi
exec '${go}' "$@"
`,
    )
    await chmod(join(shims, 'go'), 0o755)
    const result = await polyship(['build', '--concurrency', '1'], {
      root: ws.root,
      env: { ...ws.env, PATH: `${shims}:${ws.env.PATH ?? process.env.PATH}` },
    })
    expect(result.stderr).not.toMatch(/error /)
    expect(result.code).toBe(0)
    expect((await readFile(seen, 'utf8')).trim()).toBe('found')
  })

  it('refuses a --concurrency that is not a whole number from 1, before doing anything', async () => {
    const ws = await exampleWorkspace({ projects: [], files: files(), globs: ['packages/*'] })
    workspaces.push(ws)
    const result = await polyship(['release', '--concurrency', '0'], ws)
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('error CLI_USAGE: --concurrency 0')
  })
})
