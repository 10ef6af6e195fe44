import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { loadWorkspace, run } from '@polyship/core'
import { afterEach, describe, expect, it } from 'vitest'
import { polyship } from './workspace.ts'

const dirs: string[] = []
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

async function repo(files: Record<string, string>, options: { git?: boolean } = {}): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'polyship-init-'))
  dirs.push(root)
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true })
    await writeFile(join(root, path), text)
  }
  if (options.git !== false) {
    await run('git', ['init', '-q', '-b', 'main'], { cwd: root })
    await run('git', ['remote', 'add', 'origin', 'git@github.com:acme/monorepo.git'], { cwd: root })
  }
  return root
}

const env = { PATH: process.env.PATH, HOME: process.env.HOME }
const init = (root: string, ...args: string[]) => polyship(['init', ...args], { root, env })

/** Every file under `root` (outside .git) with its text and mtime. */
async function snapshot(root: string): Promise<Map<string, { text: string; mtime: number }>> {
  const { stdout } = await run('find', ['.', '-type', 'f', '-not', '-path', './.git/*'], { cwd: root })
  const files = new Map<string, { text: string; mtime: number }>()
  for (const path of stdout.split('\n').filter(Boolean).sort()) {
    const full = join(root, path)
    files.set(path.slice(2), { text: await readFile(full, 'utf8'), mtime: (await stat(full)).mtimeMs })
  }
  return files
}

const GO_MAIN = 'package main\n\nfunc main() {}\n'

/** A polyglot repository as maintainers have them, before polyship. */
const POLYGLOT: Record<string, string> = {
  'package.json':
    '{\n    "name": "acme",\n    "private": true,\n    "scripts": { "build": "nx run-many -t build" },\n    "devDependencies": { "polyship": "0.1.0" }\n}\n',
  'pnpm-workspace.yaml':
    '# the web apps\npackages:\n  # sites\n  - web/*\n\nonlyBuiltDependencies:\n  - esbuild # needs its postinstall\n',
  'nx.json':
    '{\n  "$schema": "./node_modules/nx/schemas/nx-schema.json",\n  "plugins": ["@nx/js/typescript"]\n}\n',
  '.gitignore': 'generated/\n',
  // An npm package and a private tool package.
  'web/site/package.json': '{ "name": "@acme/site", "version": "1.4.0" }\n',
  'web/tools/package.json': '{ "name": "tools", "version": "0.0.0", "private": true }\n',
  // A Go module with two mains under cmd/, and a Dockerfile.
  'services/api/go.mod': 'module github.com/acme/api\n\ngo 1.22\n',
  'services/api/cmd/api/main.go': `// Command api serves the API.\n${GO_MAIN}`,
  'services/api/cmd/worker/main.go': GO_MAIN,
  'services/api/internal/store/store.go': 'package store\n',
  'services/api/Dockerfile':
    'FROM golang:1.22 AS build\nCOPY . .\nRUN go build ./cmd/api\nFROM scratch\nEXPOSE 8080\n',
  // A Go library: not released.
  'libs/golib/go.mod': 'module github.com/acme/golib\n',
  'libs/golib/lib.go': 'package golib\n',
  'libs/golib/gen.go': '//go:build ignore\n\n// gen writes tables.go.\npackage main\n\nfunc main() {}\n',
  'libs/golib/testdata/tool/go.mod': 'module example.com/tool\n',
  'libs/golib/testdata/tool/main.go': GO_MAIN,
  // A Cargo virtual workspace: two bin crates and a library.
  'rust/Cargo.toml':
    '[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n\n[workspace.package]\nversion = "0.3.0"\n',
  'rust/crates/echo/Cargo.toml':
    '[package]\nname = "echo"\nversion.workspace = true\nedition = "2021"\ndescription = "Echo server"\nlicense = "MIT"\n',
  'rust/crates/echo/src/main.rs': 'fn main() {}\n',
  'rust/crates/echo/Dockerfile': 'FROM rust\nEXPOSE 9000\n',
  'rust/crates/proxy/Cargo.toml':
    '[package]\nname = "proxy"\nversion = "0.2.0"\nedition = "2021"\n\n[[bin]]\nname = "proxyd"\npath = "src/main.rs"\n',
  'rust/crates/proxy/src/main.rs': 'fn main() {}\n',
  'rust/crates/common/Cargo.toml': '[package]\nname = "common"\nversion = "0.3.0"\nedition = "2021"\n',
  'rust/crates/common/src/lib.rs': '\n',
  // A maturin project (its Cargo.toml is the wheel's core, not a crate of its own) and a hatchling one.
  'python/fast/pyproject.toml':
    '[build-system]\nrequires = ["maturin>=1.8"]\nbuild-backend = "maturin"\n\n[project]\nname = "fast_json"\ndynamic = ["version"]\n\n[project.scripts]\nfastj = "fast_json:main"\n',
  'python/fast/Cargo.toml':
    '[package]\nname = "fast-json"\nversion = "1.2.0"\nedition = "2021"\n\n[lib]\ncrate-type = ["cdylib"]\n',
  'python/fast/src/lib.rs': '\n',
  'python/fast/Dockerfile': 'FROM python:3.12\n',
  'python/tool/pyproject.toml':
    '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n[project]\nname = "acme-tool"\nversion = "0.4.1"\ndescription = "Acme tool"\n',
  // A chart, a Dockerfile with no project, and what init must not look at.
  'charts/stack/Chart.yaml': 'apiVersion: v2\nname: stack\nversion: 0.5.0\ndescription: The stack\n',
  'charts/stack/values.yaml':
    '# images of the stack\napi:\n  image:\n    repository: ghcr.io/acme/api\n    tag: ""\necho:\n  image:\n    repository: echo\nworker:\n  image:\n    repository: ghcr.io/acme/worker\n',
  'charts/stack/templates/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stack\n',
  'docker/Dockerfile': 'FROM alpine\n',
  'generated/go.mod': 'module example.com/generated\n',
  'generated/main.go': GO_MAIN,
  'node_modules/dep/package.json': '{ "name": "dep", "version": "1.0.0" }\n',
  'rust/target/debug/build/x/Cargo.toml': 'not toml [',
}

describe('polyship init', () => {
  it('turns a polyglot repository into a workspace that polyship plan reads', async () => {
    const root = await repo(POLYGLOT)
    const result = await init(root)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Wrote 17 files')

    const workspace = await loadWorkspace(root)
    const projects = Object.fromEntries(
      workspace.projects.map((p) => [p.dir, { name: p.name, version: p.version, config: p.config }]),
    )
    expect(projects).toEqual({
      'charts/stack': {
        name: 'stack',
        version: '0.5.0',
        config: { chart: { images: { 'api.image': 'api', 'echo.image': 'echo' } } },
      },
      'python/fast': {
        name: 'fast_json',
        version: '1.2.0',
        config: { wheel: {}, image: { base: 'python', entrypoint: ['fastj'] } },
      },
      'python/tool': { name: 'acme-tool', version: '0.4.1', config: { wheel: {} } },
      'rust/crates/echo': {
        name: 'echo',
        version: '0.3.0',
        config: {
          binary: { toolchain: 'rust' },
          image: {
            base: 'static',
            platforms: ['linux/amd64'],
            entrypoint: ['/usr/local/bin/echo'],
            ports: [9000],
          },
        },
      },
      'rust/crates/proxy': { name: 'proxy', version: '0.2.0', config: { binary: { toolchain: 'rust' } } },
      'services/api': {
        name: 'api',
        version: '0.1.0',
        config: {
          binary: { toolchain: 'go', main: './cmd/api' },
          image: {
            base: 'static',
            platforms: ['linux/amd64', 'linux/arm64'],
            entrypoint: ['/usr/local/bin/api'],
            ports: [8080],
          },
        },
      },
    })

    const plan = await polyship(['plan', '--json'], { root, env })
    expect(plan.code).toBe(0)
    const planned = JSON.parse(plan.stdout) as {
      projects: { name: string; formats: string[]; artifacts: { kind: string; name: string }[] }[]
    }
    expect(Object.fromEntries(planned.projects.map((p) => [p.name, p.formats]))).toEqual({
      'acme-tool': ['wheel'],
      api: ['binary', 'image'],
      echo: ['binary', 'image'],
      fast_json: ['wheel', 'image'],
      proxy: ['binary'],
      stack: ['chart'],
    })
    expect(planned.projects.find((p) => p.name === 'api')?.artifacts.map((a) => a.name)).toContain(
      'api_0.1.0_linux_amd64.tar.gz',
    )

    // Existing files gained only additions, in their own formatting, comments kept.
    expect(await readFile(join(root, 'pnpm-workspace.yaml'), 'utf8')).toMatchInlineSnapshot(`
      "# the web apps
      packages:
        # sites
        - web/*
        - charts/stack
        - python/fast
        - python/tool
        - rust/crates/echo
        - rust/crates/proxy
        - services/api

      onlyBuiltDependencies:
        - esbuild # needs its postinstall
      "
    `)
    expect(await readFile(join(root, 'package.json'), 'utf8')).toBe(
      '{\n    "name": "acme",\n    "private": true,\n    "scripts": { "build": "nx run-many -t build", "release": "polyship release" },\n    "devDependencies": { "polyship": "0.1.0" }\n}\n',
    )
    expect(JSON.parse(await readFile(join(root, 'nx.json'), 'utf8')).plugins).toEqual([
      '@nx/js/typescript',
      {
        plugin: 'polyship/nx-plugin',
        options: { buildTargetName: 'polyship-build', packageTargetName: 'polyship-package' },
      },
    ])
    expect(JSON.parse(await readFile(join(root, '.changeset/config.json'), 'utf8'))).toMatchObject({
      baseBranch: 'main',
      privatePackages: { version: true, tag: true },
    })
    expect(JSON.parse(await readFile(join(root, 'polyship.json'), 'utf8'))).toEqual({
      $schema: 'https://unpkg.com/polyship/schema/polyship.schema.json',
      repository: 'https://github.com/acme/monorepo',
    })
    expect(await readFile(join(root, '.gitignore'), 'utf8')).toBe(
      'generated/\n# polyship: builds, packages and local destinations\ndist/\n',
    )
    const release = await readFile(join(root, '.github/workflows/polyship-release.yml'), 'utf8')
    expect(release).not.toContain('__POLYSHIP_VERSION__')
    const lint = await run(
      'actionlint',
      ['-no-color', '.github/workflows/polyship-ci.yml', '.github/workflows/polyship-release.yml'],
      { cwd: root },
    )
    expect(lint.stdout).toBe('')
    expect(await readFile(join(root, 'rust/crates/echo/package.json'), 'utf8')).toMatchInlineSnapshot(`
      "{
        "name": "echo",
        "version": "0.3.0",
        "private": true,
        "description": "Echo server",
        "license": "MIT",
        "polyship": {
          "binary": {
            "toolchain": "rust"
          },
          "image": {
            "base": "static",
            "platforms": ["linux/amd64"],
            "entrypoint": ["/usr/local/bin/echo"],
            "ports": [9000]
          }
        }
      }
      "
    `)
  })

  it('shows the plan, and with --dry-run writes nothing', async () => {
    const root = await repo(POLYGLOT)
    const before = await snapshot(root)
    const result = await init(root, '--dry-run')
    expect(result.code).toBe(0)
    expect(await snapshot(root)).toEqual(before)
    expect(result.stdout).toMatchInlineSnapshot(`
      "Projects

      dir                kind    name        version  formats
      -----------------  ------  ----------  -------  -------------
      charts/stack       chart   stack       0.5.0    chart
      python/fast        python  fast_json   1.2.0    image, wheel
      python/tool        python  acme-tool   0.4.1    wheel
      rust/crates/echo   rust    echo        0.3.0    binary, image
      rust/crates/proxy  rust    proxy       0.2.0    binary
      services/api       go      api         0.1.0    binary, image
      web/site           npm     @acme/site  1.4.0    npm

      Notes

        charts/stack: charts/stack/values.yaml: api.image <- api, echo.image <- echo (released repository, tag and digest are written there)
        python/fast: build backend maturin
        python/fast: python/fast/Dockerfile suggests an image: polyship assembles it from the project's wheel without a daemon; the Dockerfile itself is not used
        python/tool: build backend hatchling.build
        python/tool: polyship builds wheels with maturin today; this backend is detected but not yet built
        rust/crates/echo: member of the Cargo workspace at rust
        rust/crates/echo: no Cargo.lock: polyship builds with --locked, so run \`cargo generate-lockfile\` and commit the lock file
        rust/crates/echo: rust/crates/echo/Dockerfile suggests an image: polyship assembles it from the project's binaries without a daemon; the Dockerfile itself is not used
        rust/crates/proxy: member of the Cargo workspace at rust
        rust/crates/proxy: no Cargo.lock: polyship builds with --locked, so run \`cargo generate-lockfile\` and commit the lock file
        services/api: module github.com/acme/api
        services/api: main packages: ./cmd/api, ./cmd/worker; polyship.binary ships one (./cmd/api), so ./cmd/worker is not released: change polyship.binary.main to pick another
        services/api: Go has no manifest version: starts at 0.1.0 (a VERSION file is kept in step when present)
        services/api: services/api/Dockerfile suggests an image: polyship assembles it from the project's binaries without a daemon; the Dockerfile itself is not used
        web/site: an npm package (not private): released to an npm registry as pnpm packs it

      Files

      file                                    action  change
      --------------------------------------  ------  ---------------------------------------------------------------------------------------------
      charts/stack/package.json               create  new chart project
      python/fast/package.json                create  new python project
      python/tool/package.json                create  new python project
      rust/crates/echo/package.json           create  new rust project
      rust/crates/echo/Cargo.toml             modify  add [package.metadata.binstall] (cargo binstall finds the release archives)
      rust/crates/proxy/package.json          create  new rust project
      rust/crates/proxy/Cargo.toml            modify  add [package.metadata.binstall] (cargo binstall finds the release archives)
      services/api/package.json               create  new go project
      package.json                            modify  add scripts.release
      pnpm-workspace.yaml                     modify  add charts/stack, python/fast, python/tool, rust/crates/echo, rust/crates/proxy, services/api
      .gitignore                              modify  add dist/
      polyship.json                           create  embedded destinations under dist/, key signing
      nx.json                                 modify  add the polyship plugin
      .changeset/config.json                  create  changesets, base branch main, private packages versioned and tagged
      .changeset/README.md                    create  how to add a changeset
      .github/workflows/polyship-ci.yml       create  from the polyship template
      .github/workflows/polyship-release.yml  create  from the polyship template

      Not released

        docker/Dockerfile: Dockerfile with no Go, Rust or Python project beside it: polyship assembles images from binaries and wheels (polyship.image.dockerfile builds one with buildah)
        libs/golib/go.mod: Go library module (no main package): not released as a binary
        rust/crates/common/Cargo.toml: Rust library crate (no bin target): not released as a binary

      Dry run: 17 files would be written; nothing was.
      "
    `)
  })

  it('changes nothing when run again', async () => {
    const root = await repo(POLYGLOT)
    expect((await init(root)).code).toBe(0)
    const before = await snapshot(root)
    const again = await init(root)
    expect(again.code).toBe(0)
    expect(again.stdout).toContain('Nothing to change: the workspace is already set up for polyship.')
    expect(again.stdout).not.toMatch(/\b(create|modify)\b/)
    expect(await snapshot(root)).toEqual(before)
  })

  it('prints the plan as JSON', async () => {
    const root = await repo(POLYGLOT)
    const result = await polyship(['init', '--dry-run', '--json'], { root, env })
    expect(result.code).toBe(0)
    const plan = JSON.parse(result.stdout) as {
      written: boolean
      projects: {
        dir: string
        kind: string
        notes: string[]
        buildBackend?: string
        mains?: string[]
        dockerfiles?: string[]
      }[]
      files: { path: string; action: string }[]
      skipped: { path: string }[]
    }
    expect(plan.written).toBe(false)
    expect(plan.projects.map((p) => [p.dir, p.kind])).toEqual([
      ['charts/stack', 'chart'],
      ['python/fast', 'python'],
      ['python/tool', 'python'],
      ['rust/crates/echo', 'rust'],
      ['rust/crates/proxy', 'rust'],
      ['services/api', 'go'],
      ['web/site', 'npm'],
    ])
    const project = (dir: string) => plan.projects.find((p) => p.dir === dir)
    expect(project('python/tool')?.buildBackend).toBe('hatchling.build')
    expect(project('python/fast')?.buildBackend).toBe('maturin')
    expect(project('services/api')).toMatchObject({
      mains: ['./cmd/api', './cmd/worker'],
      dockerfiles: ['services/api/Dockerfile'],
    })
    expect(project('services/api')?.notes.join('\n')).toContain('./cmd/worker is not released')
    expect(Object.fromEntries(plan.files.map((f) => [f.path, f.action]))).toMatchObject({
      'package.json': 'modify',
      'pnpm-workspace.yaml': 'modify',
      'nx.json': 'modify',
      'services/api/package.json': 'create',
      '.changeset/config.json': 'create',
      '.github/workflows/polyship-ci.yml': 'create',
      '.gitignore': 'modify',
    })
    expect(plan.skipped.map((s) => s.path)).toEqual([
      'docker/Dockerfile',
      'libs/golib/go.mod',
      'rust/crates/common/Cargo.toml',
    ])
  })

  it('leaves out a project a `!` pattern of pnpm-workspace.yaml excludes, as pnpm and changesets do, and says why', async () => {
    const root = await repo({
      'package.json': '{ "name": "acme", "private": true }\n',
      'pnpm-workspace.yaml': 'packages:\n  - services/*\n  - "!services/legacy"\n',
      'services/api/go.mod': 'module github.com/acme/api\n\ngo 1.22\n',
      'services/api/main.go': GO_MAIN,
      'services/legacy/go.mod': 'module github.com/acme/legacy\n\ngo 1.22\n',
      'services/legacy/main.go': GO_MAIN,
    })
    const result = await polyship(['init', '--dry-run', '--json'], { root, env })
    expect(result.code).toBe(0)
    const plan = JSON.parse(result.stdout) as {
      projects: { dir: string }[]
      files: { path: string; action: string }[]
      skipped: { path: string; reason: string }[]
    }
    expect(plan.projects.map((p) => p.dir)).toEqual(['services/api'])
    expect(plan.skipped).toContainEqual({
      path: 'services/legacy/package.json',
      reason: expect.stringContaining('excluded by "!services/legacy" in pnpm-workspace.yaml'),
    })
    expect(plan.files.map((f) => f.path)).not.toContain('services/legacy/package.json')
    expect(plan.files.find((f) => f.path === 'pnpm-workspace.yaml')?.action).toBe('unchanged')

    expect((await init(root)).code).toBe(0)
    const workspace = await loadWorkspace(root)
    expect(workspace.projects.map((p) => p.dir)).toEqual(['services/api'])
  })

  it('finds the binaries cargo and go find', async () => {
    const root = await repo(POLYGLOT)
    expect((await init(root)).code).toBe(0)
    const metadata = JSON.parse(
      (
        await run('cargo', ['metadata', '--no-deps', '--offline', '--format-version', '1'], {
          cwd: join(root, 'rust'),
        })
      ).stdout,
    ) as { packages: { name: string; targets: { kind: string[]; name: string }[] }[] }
    const cargoBins = Object.fromEntries(
      metadata.packages.map((p) => [
        p.name,
        p.targets.filter((t) => t.kind.includes('bin')).map((t) => t.name),
      ]),
    )
    expect(cargoBins).toEqual({ common: [], echo: ['echo'], proxy: ['proxyd'] })
    const workspace = await loadWorkspace(root)
    expect(workspace.projects.map((p) => p.name)).not.toContain('common')
    const { stdout } = await run('go', ['list', '-f', '{{.Name}} {{.ImportPath}}', './...'], {
      cwd: join(root, 'services/api'),
      env: { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' },
    })
    const mains = stdout
      .split('\n')
      .filter((line) => line.startsWith('main '))
      .map((line) => line.split(' ')[1])
    expect(mains).toEqual(['github.com/acme/api/cmd/api', 'github.com/acme/api/cmd/worker'])
    const api = workspace.projects.find((p) => p.name === 'api')
    expect(mains).toContain(`github.com/acme/api/${api?.config.binary?.main?.slice(2)}`)
  })

  it('adds the polyship field to an existing package.json, keeping everything else', async () => {
    const manifest =
      '{\n\t"name": "@acme/api",\n\t"version": "2.0.0",\n\t"private": true,\n\t"scripts": {}\n}\n'
    const root = await repo({
      'services/api/go.mod': 'module github.com/acme/api\n',
      'services/api/main.go': GO_MAIN,
      'services/api/package.json': manifest,
      'services/echo/Cargo.toml': '[package]\nname = "echo"\nversion = "1.0.0"\n',
      'services/echo/src/main.rs': 'fn main() {}\n',
      'services/echo/package.json': '{"name":"echo","version":"1.0.0","private":true}\r\n',
    })
    const result = await init(root)
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/services\/api\/package\.json\s+modify\s+add polyship/)
    expect(await readFile(join(root, 'services/api/package.json'), 'utf8')).toBe(
      '{\n\t"name": "@acme/api",\n\t"version": "2.0.0",\n\t"private": true,\n\t"scripts": {},\n\t"polyship": {\n\t\t"binary": {\n\t\t\t"toolchain": "go",\n\t\t\t"main": "."\n\t\t}\n\t}\n}\n',
    )
    expect(await readFile(join(root, 'services/echo/package.json'), 'utf8')).toBe(
      '{"name":"echo","version":"1.0.0","private":true, "polyship": {"binary":{"toolchain":"rust"}}}\r\n',
    )
    // No root package.json, pnpm-workspace.yaml or nx.json before: the first two are created, nx.json is not.
    expect(JSON.parse(await readFile(join(root, 'package.json'), 'utf8')).scripts).toEqual({
      release: 'polyship release',
    })
    expect(await readFile(join(root, 'pnpm-workspace.yaml'), 'utf8')).toBe(
      'packages:\n  - services/api\n  - services/echo\n',
    )
    expect(result.stdout).toContain('no nx.json: the Nx plugin is not added')
    const workspace = await loadWorkspace(root)
    expect(workspace.projects.map((p) => [p.name, p.version])).toEqual([
      ['@acme/api', '2.0.0'],
      ['echo', '1.0.0'],
    ])
  })

  it('releases a project at the repository root and walks a directory that is not a git repository', async () => {
    const root = await repo(
      {
        'Cargo.toml': '[package]\nname = "tool"\nversion = "1.0.0"\nedition = "2021"\n',
        'src/main.rs': 'fn main() {}\n',
        'target/release/build/dep/Cargo.toml': '[package]\nname = "dep"\nversion = "1.0.0"\n',
        'vendor/x/go.mod': 'module x\n',
        'vendor/x/main.go': GO_MAIN,
      },
      { git: false },
    )
    expect((await init(root)).code).toBe(0)
    const workspace = await loadWorkspace(root)
    expect(workspace.projects.map((p) => [p.dir, p.name, p.config.binary?.toolchain])).toEqual([
      ['.', 'tool', 'rust'],
    ])
    expect(JSON.parse(await readFile(join(root, 'package.json'), 'utf8'))).toMatchObject({
      name: 'tool',
      scripts: { release: 'polyship release' },
    })
    expect((await init(root)).stdout).toContain('Nothing to change')
  })

  it('refuses to replace what the user wrote, naming the file, and writes nothing', async () => {
    const root = await repo({
      ...POLYGLOT,
      '.changeset/config.json': '{ "baseBranch": "main", "privatePackages": false }\n',
    })
    const before = await snapshot(root)
    const result = await init(root)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      'error INIT_WOULD_OVERWRITE: .changeset/config.json: privatePackages is false; init would have to replace it',
    )
    expect(result.stderr).toContain('hint: Go, Rust, Python and chart projects are private packages')
    expect(await snapshot(root)).toEqual(before)

    const version = await repo({
      'api/go.mod': 'module github.com/acme/api\n',
      'api/main.go': GO_MAIN,
      'api/package.json': '{ "name": "api", "version": "1.0" }\n',
    })
    const refused = await init(version)
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain(
      'error INIT_WOULD_OVERWRITE: api/package.json: version "1.0" is not SemVer',
    )
  })

  it('says what it cannot understand, with a code naming the file', async () => {
    const bad = async (files: Record<string, string>) => (await init(await repo(files))).stderr
    expect(
      await bad({
        'README.md': '# nothing here\n',
        'lib/go.mod': 'module lib\n',
        'lib/lib.go': 'package lib\n',
      }),
    ).toMatch(
      /^error INIT_NO_PROJECTS: no releasable project found in .*\n {2}lib\/go\.mod: Go library module/,
    )
    expect(await bad({ 'crates/a/Cargo.toml': '[package\nname = "a"\n' })).toMatch(
      /^error INIT_MANIFEST_INVALID: crates\/a\/Cargo\.toml:1: not valid TOML/,
    )
    expect(
      await bad({ 'py/pyproject.toml': '[build-system]\nbuild-backend = "hatchling.build"\n' }),
    ).toContain('error INIT_MANIFEST_INVALID: py/pyproject.toml: no project.name')
    expect(await bad({ 'chart/Chart.yaml': 'apiVersion: v2\nname: Stack\nversion: 1.0.0\n' })).toMatch(
      /^error INIT_MANIFEST_INVALID: chart\/Chart\.yaml.*chart name "Stack"/,
    )
    expect(await bad({ 'app/go.mod': 'go 1.22\n', 'app/main.go': GO_MAIN })).toContain(
      'error INIT_MANIFEST_INVALID: app/go.mod: no module line',
    )
    expect(await bad({ 'web/package.json': '{ "name": "web", ' })).toContain(
      'error INIT_MANIFEST_INVALID: web/package.json: not valid JSON',
    )
    const missing = await polyship(['init', '--cwd', '/nonexistent/polyship'], { root: tmpdir(), env })
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('error INIT_NOT_A_DIRECTORY: /nonexistent/polyship is not a directory')
  })

  it('writes a workspace that polyship releases and verifies', async () => {
    const root = await repo({
      '.gitignore': 'dist/\ntarget/\n',
      'api/go.mod': 'module github.com/acme/api\n\ngo 1.22\n',
      'api/cmd/api/main.go': GO_MAIN,
      'api/cmd/worker/main.go': GO_MAIN,
      'api/Dockerfile': 'FROM scratch\nEXPOSE 8080\n',
      'deploy/Chart.yaml': 'apiVersion: v2\nname: deploy\nversion: 0.2.0\n',
      'deploy/values.yaml': 'api:\n  image:\n    repository: api\n    tag: ""\n    digest: ""\n',
      'deploy/templates/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deploy\ndata:\n  image: "{{ .Values.api.image.repository }}@{{ .Values.api.image.digest }}"\n',
    })
    expect((await init(root)).code).toBe(0)
    expect(JSON.parse(await readFile(join(root, 'deploy/package.json'), 'utf8'))).toMatchObject({
      dependencies: { api: 'workspace:*' },
      polyship: { chart: { appVersionFrom: 'api', images: { 'api.image': 'api' } } },
    })
    const configHome = join(root, '..', `${root.split('/').at(-1)}-config`)
    dirs.push(configHome)
    const releaseEnv = { ...env, XDG_CONFIG_HOME: configHome }
    const release = await polyship(['release'], { root, env: releaseEnv })
    expect(release.stderr).not.toContain('error')
    expect(release.code).toBe(0)
    expect(release.stdout).toMatch(/api\s+image\s+api:0\.1\.0\s+published/)
    expect(release.stdout).toMatch(/deploy\s+chart\s+deploy:0\.2\.0\s+published/)
    const verify = await polyship(['verify', 'dist/release.json'], { root, env: releaseEnv })
    expect(verify.code).toBe(0)
    expect(verify.stdout).toContain('all passed')
    expect((await init(root)).stdout).toContain('Nothing to change')
  })

  it('writes cargo-binstall metadata for a Rust binary crate, naming the archives a release writes', async () => {
    const root = await repo({
      '.gitignore': 'dist/\ntarget/\n',
      'tiny/Cargo.toml': '[package]\nname = "tiny"\nversion = "0.1.0"\nedition = "2021"\n',
      'tiny/Cargo.lock':
        '# This file is automatically @generated by Cargo.\nversion = 4\n\n[[package]]\nname = "tiny"\nversion = "0.1.0"\n',
      'tiny/src/main.rs': 'fn main() { println!("tiny"); }\n',
    })
    const result = await init(root)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/tiny\/Cargo\.toml\s+modify\s+add \[package\.metadata\.binstall\]/)
    const cargo = await readFile(join(root, 'tiny/Cargo.toml'), 'utf8')
    expect(
      cargo.startsWith(
        '[package]\nname = "tiny"\nversion = "0.1.0"\nedition = "2021"\n\n[package.metadata.binstall]\n',
      ),
    ).toBe(true)
    const url =
      /\[package\.metadata\.binstall\.overrides\.x86_64-unknown-linux-gnu\]\npkg-url = "([^"]+)"/.exec(
        cargo,
      )?.[1]
    expect(url).toBe('{ repo }/releases/download/tiny%40{ version }/tiny_{ version }_linux_amd64.tar.gz')
    expect(cargo).toContain('[package.metadata.binstall.overrides.x86_64-pc-windows-msvc]')
    expect((await init(root)).stdout).toContain('Nothing to change')

    // What a release of this platform writes: the tag and archive binstall's URL names.
    const manifest = JSON.parse(await readFile(join(root, 'tiny/package.json'), 'utf8'))
    manifest.polyship.binary.platforms = ['linux/amd64']
    await writeFile(join(root, 'tiny/package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
    const configHome = join(root, '..', `${root.split('/').at(-1)}-config`)
    dirs.push(configHome)
    const release = await polyship(['release'], { root, env: { ...env, XDG_CONFIG_HOME: configHome } })
    expect(release.code, release.stderr).toBe(0)
    const record = JSON.parse(await readFile(join(root, 'dist/release.json'), 'utf8')) as {
      projects: { name: string; version: string; tag: string }[]
    }
    const tiny = record.projects.find((p) => p.name === 'tiny')!
    const [tag, file] = decodeURIComponent(url!.replaceAll('{ version }', tiny.version))
      .replace('{ repo }/releases/download/', '')
      .split('/')
    expect(tag).toBe(tiny.tag)
    expect((await stat(join(root, 'dist/assets', file!))).isFile()).toBe(true)
  })

  it('keeps project names unique, telling the wheel its distribution name when it had to rename', async () => {
    const root = await repo({
      'web/package.json': '{ "name": "api", "version": "1.0.0" }\n',
      'py/pyproject.toml':
        '[build-system]\nbuild-backend = "maturin"\n\n[project]\nname = "api"\nversion = "0.2.0"\n',
      'svc/go.mod': 'module example.com/api/v2\n',
      'svc/main.go': GO_MAIN,
    })
    const result = await init(root)
    expect(result.code).toBe(0)
    const workspace = await loadWorkspace(root)
    expect(workspace.projects.map((p) => [p.dir, p.name, p.config])).toEqual([
      ['py', 'api-python', { wheel: { distribution: 'api' } }],
      ['svc', 'api-go', { binary: { toolchain: 'go', main: '.' } }],
    ])
    expect(result.stdout).toContain('py: named api-python: api is taken by another project')
  })

  it("finds this repository's examples, as they were before their package.json files, under their names and versions", async () => {
    const repoRoot = join(import.meta.dirname, '..', '..', '..')
    const tracked = (await run('git', ['ls-files', '-z', 'examples'], { cwd: repoRoot })).stdout.split('\0')
    const files: Record<string, string> = {}
    for (const file of tracked.filter((f) => f !== '' && !f.endsWith('/package.json'))) {
      files[file] = await readFile(join(repoRoot, file), 'utf8')
    }
    const root = await repo(files)
    expect((await init(root)).code).toBe(0)
    const found = await loadWorkspace(root)
    const written = await loadWorkspace(repoRoot)
    const shape = (ws: typeof found) =>
      ws.projects
        .filter((p) => p.dir.startsWith('examples/'))
        .map((p) => ({ dir: p.dir, name: p.name, version: p.version, toolchain: p.config.binary?.toolchain }))
    expect(shape(found)).toEqual(shape(written))
    expect(found.projects.find((p) => p.name === 'fastjson')?.config.wheel).toEqual({})
    expect(found.projects.find((p) => p.name === 'mcp-stack')?.config.chart).toEqual({})
  })
})
