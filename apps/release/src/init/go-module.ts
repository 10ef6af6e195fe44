import { isSemver } from '@polyship/versioning'
import { InitError } from './errors.ts'
import { dirOf, joinPath, type NativeProject, type ReadText, type SkippedManifest } from './project.ts'

/** The module path of a go.mod; `file` names it in errors. */
export function parseGoMod(text: string, file: string): string {
  const match = /^\s*module\s+("?)([^\s"]+)\1\s*(?:\/\/.*)?$/m.exec(text)
  if (match === null) {
    throw new InitError('INIT_MANIFEST_INVALID', `${file}: no module line`, {
      hint: 'a go.mod starts with `module <path>`; fix it so that `go build` accepts it',
    })
  }
  return match[2]!
}

/** The binary name Go gives a module: its last path element, skipping a `/vN` suffix. */
export function moduleBaseName(module: string): string {
  const parts = module.split('/')
  const last = parts.at(-1) ?? module
  return /^v\d+$/.test(last) && parts.length > 1 ? parts.at(-2)! : last
}

/**
 * Whether Go source text declares `package main` (the package clause, after comments),
 * leaving out files Go never builds: `//go:build ignore` generators and the like.
 */
export function isMainPackage(source: string): boolean {
  const clause = /^\s*package\s+(\w+)/m.exec(source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, ''))
  if (clause?.[1] !== 'main') return false
  const header = source.slice(0, source.search(/^\s*package\s/m))
  return !/^\/\/(go:build|\s*\+build)\s+ignore\b/m.test(header)
}

/**
 * Go modules: one project per go.mod. Its main packages are the module root and `cmd/*`
 * directories with `package main` sources (directories with their own go.mod belong to
 * that module). A module without a main is a library and is not released.
 */
export async function detectGoModules(
  files: readonly string[],
  read: ReadText,
): Promise<{ projects: NativeProject[]; skipped: SkippedManifest[] }> {
  const goMods = files.filter((f) => f === 'go.mod' || f.endsWith('/go.mod'))
  const moduleDirs = new Set(goMods.map(dirOf))
  const projects: NativeProject[] = []
  const skipped: SkippedManifest[] = []
  for (const goMod of goMods) {
    const dir = dirOf(goMod)
    const module = parseGoMod(await read(goMod), goMod)
    const mains = await mainPackages(dir, files, moduleDirs, read)
    if (mains.length === 0) {
      skipped.push({ path: goMod, reason: 'Go library module (no main package): not released as a binary' })
      continue
    }
    const base = moduleBaseName(module)
    const main = mains.find((m) => m === '.' || m.endsWith(`/${base}`)) ?? mains[0]!
    const notes: string[] = [`module ${module}`]
    if (mains.length > 1) {
      const others = mains.filter((m) => m !== main)
      notes.push(
        `main packages: ${mains.join(', ')}; polyship.binary ships one (${main}), so ${others.join(', ')} ${others.length === 1 ? 'is' : 'are'} not released: change polyship.binary.main to pick another`,
      )
    }
    const version = await versionFile(dir, files, read)
    if (version === undefined)
      notes.push('Go has no manifest version: starts at 0.1.0 (a VERSION file is kept in step when present)')
    projects.push({
      dir,
      kind: 'go',
      nativeName: base,
      version: version ?? '0.1.0',
      manifest: goMod,
      config: { binary: { toolchain: 'go', main } },
      mains,
      executable: main === '.' ? base : main.split('/').at(-1)!,
      notes,
    })
  }
  return { projects, skipped }
}

async function mainPackages(
  dir: string,
  files: readonly string[],
  moduleDirs: ReadonlySet<string>,
  read: ReadText,
): Promise<string[]> {
  const prefix = dir === '.' ? '' : `${dir}/`
  const candidates = new Map<string, string[]>()
  for (const file of files) {
    if (!file.startsWith(prefix) || !file.endsWith('.go') || file.endsWith('_test.go')) continue
    const rest = file.slice(prefix.length)
    const parts = rest.split('/')
    const pkg =
      parts.length === 1 ? '.' : parts.length === 3 && parts[0] === 'cmd' ? `./cmd/${parts[1]}` : undefined
    if (pkg === undefined || (pkg !== '.' && moduleDirs.has(joinPath(dir, pkg.slice(2))))) continue
    candidates.set(pkg, [...(candidates.get(pkg) ?? []), file])
  }
  const mains: string[] = []
  for (const [pkg, sources] of [...candidates].sort(([a], [b]) => a.localeCompare(b))) {
    for (const source of sources) {
      if (isMainPackage(await read(source))) {
        mains.push(pkg)
        break
      }
    }
  }
  return mains
}

/** A VERSION file's SemVer (a leading `v` dropped), the one Go version source polyship keeps in step. */
async function versionFile(
  dir: string,
  files: readonly string[],
  read: ReadText,
): Promise<string | undefined> {
  const path = joinPath(dir, 'VERSION')
  if (!files.includes(path)) return undefined
  const text = (await read(path)).trim().replace(/^v(?=\d)/, '')
  return isSemver(text) ? text : undefined
}
