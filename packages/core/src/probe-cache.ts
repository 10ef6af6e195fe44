import { createHash } from 'node:crypto'
import { constants } from 'node:fs'
import {
  access,
  mkdir,
  open,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises'
import { homedir } from 'node:os'
import { delimiter, isAbsolute, join, resolve } from 'node:path'

type Env = Readonly<Record<string, string | undefined>>

/**
 * A deterministic question to a toolchain (`rustc -vV`, `go tool dist list`): its answer is
 * kept on disk and given back while nothing that decides it has changed.
 */
export interface ProbeSpec<T> {
  /** Names the probe (`go env`, `rustc -vV`); part of the key. */
  readonly name: string
  /** The executable asked, as run (looked up on `env.PATH` unless it holds a `/`). */
  readonly command: string
  /** The probe's environment: all of it is in the key but the shell's bookkeeping (PWD, SHLVL...). */
  readonly env: Env
  /** Where the probe runs, when that decides the answer (a rust-toolchain.toml applies there). */
  readonly cwd?: string
  /**
   * Further files that decide the answer (go's env file, rust-toolchain.toml), or a function
   * of the executable's real path giving them (`<GOROOT>/go.env`); a missing file counts too.
   */
  readonly files?: readonly string[] | ((executable: string) => readonly string[])
  /** Asks the tool. The answer must survive `JSON.stringify`. */
  readonly run: () => Promise<T>
  /** Files the answer points at (the sysroot's own rustc): the entry stands only while they are unchanged. */
  readonly dependsOn?: (answer: T) => readonly string[]
}

/**
 * Variables no probe reads that change from one invocation or project to the next: the
 * shell's bookkeeping, and SOURCE_DATE_EPOCH, which polyship sets per project (its last
 * change) while a toolchain's version and settings are the same for every project.
 */
const VOLATILE = new Set(['PWD', 'OLDPWD', 'SHLVL', '_', 'SOURCE_DATE_EPOCH'])

/** Bumped when the entry format or the keying changes. */
const FORMAT = 1

/**
 * Entries kept: every changed environment or toolchain writes a new one, so past this many the
 * least recently written go (a pruned probe is only asked again).
 */
export const PROBE_CACHE_ENTRIES = 256

interface Entry {
  readonly format: typeof FORMAT
  readonly dependsOn: readonly (readonly [string, string])[]
  readonly answer: unknown
}

/**
 * The probe cache directory: `probes` under the tool cache (`$POLYSHIP_CACHE`, else
 * `$XDG_CACHE_HOME/polyship`, else `~/.cache/polyship`).
 */
export function probeCacheDir(env: Env = process.env): string {
  const root =
    env.POLYSHIP_CACHE || join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'polyship')
  return join(resolve(root), 'probes')
}

/** Answers asked in this process, by key: concurrent askers share one run. */
const asked = new Map<string, Promise<Entry>>()

/**
 * Runs `spec.run` unless the same question was answered before, in this process or (for a
 * native executable) on disk, keyed by what decides it: the executable's real path, inode,
 * size, mtime and ctime, the environment, the cwd, the stat of `spec.files` and the text of
 * `spec.run`. A script
 * (a version manager's shim, a test's fake) may choose its tool from anything, so its
 * answer is kept for this process only. A failed probe is never kept; a cache that cannot
 * be read or written is a miss, not an error.
 */
export async function cachedProbe<T>(spec: ProbeSpec<T>): Promise<T> {
  const key = await probeKey(spec)
  if (key === undefined) return spec.run()
  const known = asked.get(key.digest)
  if (known !== undefined) {
    const entry = await known
    if (await unchanged(entry.dependsOn)) return entry.answer as T
  }
  const file = key.native ? join(probeCacheDir(spec.env), `${key.digest}.json`) : undefined
  const entry = answer(spec, file)
  asked.set(key.digest, entry)
  entry.catch(() => {
    if (asked.get(key.digest) === entry) asked.delete(key.digest)
  })
  return (await entry).answer as T
}

async function answer<T>(spec: ProbeSpec<T>, file: string | undefined): Promise<Entry> {
  const hit = file === undefined ? undefined : await readEntry(file)
  if (hit !== undefined && (await unchanged(hit.dependsOn))) return hit
  const value = await spec.run()
  const dependsOn = await Promise.all(
    (spec.dependsOn?.(value) ?? []).map(async (path) => [path, await stamp(path)] as const),
  )
  const entry: Entry = { format: FORMAT, dependsOn, answer: value }
  if (file !== undefined) await writeEntry(file, entry)
  return entry
}

/** The key's digest and whether the executable is native, or undefined when it is not found. */
async function probeKey(
  spec: Omit<ProbeSpec<unknown>, 'run' | 'dependsOn'> & { readonly run: () => unknown },
): Promise<{ digest: string; native: boolean } | undefined> {
  const executable = await findExecutable(spec.command, spec.env, spec.cwd)
  if (executable === undefined) return undefined
  const real = await realpath(executable).catch(() => undefined)
  if (real === undefined) return undefined
  const env = Object.entries(spec.env)
    .filter(([name, value]) => value !== undefined && !VOLATILE.has(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const paths = typeof spec.files === 'function' ? spec.files(real) : (spec.files ?? [])
  const [native, exe, files] = await Promise.all([
    isNative(real),
    stamp(real),
    Promise.all(paths.map(async (f) => [f, await stamp(f)])),
  ])
  // the probe's own code is in the key: a polyship whose probe reads or shapes the answer differently starts afresh
  const key = [FORMAT, spec.name, spec.run.toString(), executable, real, exe, spec.cwd ?? '', env, files]
  return { digest: createHash('sha256').update(JSON.stringify(key)).digest('hex'), native }
}

/** The file's identity and version as stat sees it, or `absent`. */
async function stamp(path: string): Promise<string> {
  try {
    const s = await stat(path, { bigint: true })
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`
  } catch {
    return 'absent'
  }
}

async function unchanged(dependsOn: readonly (readonly [string, string])[]): Promise<boolean> {
  const now = await Promise.all(dependsOn.map(([path]) => stamp(path)))
  return dependsOn.every(([, was], i) => now[i] === was)
}

/** Where `command` resolves on `env.PATH` (an executable regular file), as the subprocess would find it. */
async function findExecutable(
  command: string,
  env: Env,
  cwd: string | undefined,
): Promise<string | undefined> {
  const base = cwd ?? process.cwd()
  const candidates = command.includes('/')
    ? [resolve(base, command)]
    : (env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(isAbsolute(dir) ? dir : resolve(base, dir), command))
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK)
      if ((await stat(candidate)).isFile()) return candidate
    } catch {
      // not here: the next PATH entry
    }
  }
  return undefined
}

const NATIVE_MAGIC = [
  '7f454c46', // ELF
  'cffaedfe', // Mach-O 64-bit
  'cefaedfe', // Mach-O 32-bit
  'cafebabe', // Mach-O universal
]

/** An ELF, Mach-O or PE file; a script (`#!`) is not. */
async function isNative(path: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>> | undefined
  try {
    handle = await open(path, 'r')
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(4), 0, 4, 0)
    if (bytesRead < 2) return false
    const hex = buffer.toString('hex', 0, bytesRead)
    return NATIVE_MAGIC.includes(hex) || hex.startsWith('4d5a')
  } catch {
    return false
  } finally {
    await handle?.close()
  }
}

async function readEntry(file: string): Promise<Entry | undefined> {
  try {
    const entry = JSON.parse(await readFile(file, 'utf8')) as Entry
    return entry.format === FORMAT && Array.isArray(entry.dependsOn) ? entry : undefined
  } catch {
    return undefined
  }
}

/** Writes the entry whole (a temporary file renamed over it); a cache that cannot be written is skipped. */
async function writeEntry(file: string, entry: Entry): Promise<void> {
  const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  try {
    await mkdir(join(file, '..'), { recursive: true })
    await writeFile(temporary, JSON.stringify(entry))
    await rename(temporary, file)
    await prune(join(file, '..'))
  } catch {
    // read-only home, full disk: the probe is simply asked again next time
  }
}

/** Removes the oldest entries beyond PROBE_CACHE_ENTRIES. */
async function prune(dir: string): Promise<void> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.json'))
  if (names.length <= PROBE_CACHE_ENTRIES) return
  const written = await Promise.all(
    names.map(async (name) => ({
      name,
      at: (await stat(join(dir, name)).catch(() => undefined))?.mtimeMs ?? 0,
    })),
  )
  written.sort((a, b) => a.at - b.at)
  await Promise.all(
    written
      .slice(0, written.length - PROBE_CACHE_ENTRIES)
      .map(({ name }) => rm(join(dir, name), { force: true })),
  )
}
