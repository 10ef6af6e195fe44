import {
  appendFile,
  chmod,
  copyFile,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  utimes,
  writeFile,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { cachedProbe, PROBE_CACHE_ENTRIES, probeCacheDir, run } from '@polyship/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

const CORE = join(import.meta.dirname, '..', 'src', 'index.ts')

let dir: string
let bin: string
let cache: string
let log: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'polyship-probe-cache-'))
  bin = join(dir, 'bin')
  cache = join(dir, 'cache')
  log = join(dir, 'ran.log')
  await run('mkdir', ['-p', bin])
  // two different native executables stand in for a toolchain and its upgrade
  await install('/bin/true')
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Puts `source` on PATH as `tool`, a new file renamed over the old one as an installer does. */
async function install(source: string): Promise<void> {
  await copyFile(source, join(bin, 'tool.new'))
  await chmod(join(bin, 'tool.new'), 0o755)
  await rename(join(bin, 'tool.new'), join(bin, 'tool'))
}

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: `${bin}${delimiter}${process.env.PATH}`, POLYSHIP_CACHE: cache, ...extra }
}

async function runs(): Promise<number> {
  return (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean).length
}

/** Asks the probe in a fresh process (no in-process answers), as the next `polyship plan` does. */
async function probeInFreshProcess(extra: Record<string, string> = {}): Promise<unknown> {
  const script = join(dir, 'probe.ts')
  await writeFile(
    script,
    `import { appendFileSync } from 'node:fs'
import { cachedProbe } from ${JSON.stringify(CORE)}
const answer = await cachedProbe({
  name: 'tool --version',
  command: 'tool',
  env: process.env,
  run: async () => { appendFileSync(${JSON.stringify(log)}, 'ran\\n'); return { version: process.env.ANSWER ?? '1' } },
})
process.stdout.write(JSON.stringify(answer))
`,
  )
  const { stdout } = await run(process.execPath, [script], { env: { ...process.env, ...env(extra) } })
  return JSON.parse(stdout)
}

function probe(extra: Partial<Parameters<typeof cachedProbe>[0]> = {}) {
  return cachedProbe({
    name: 'tool --version',
    command: 'tool',
    env: env(),
    run: async () => {
      await appendFile(log, 'ran\n')
      return { version: 1 }
    },
    ...extra,
  })
}

describe('cachedProbe', () => {
  it('answers a later process from disk, and asks again once the executable on PATH is replaced', async () => {
    expect(await probeInFreshProcess()).toEqual({ version: '1' })
    expect(await probeInFreshProcess({ ANSWER: '1' })).toEqual({ version: '1' })
    expect(await runs()).toBe(2) // ANSWER is in the environment, so in the key
    expect(await probeInFreshProcess()).toEqual({ version: '1' })
    expect(await runs()).toBe(2)
    expect(await readdir(join(cache, 'probes'))).toHaveLength(2)

    await install('/bin/false')
    expect(await probeInFreshProcess()).toEqual({ version: '1' })
    expect(await runs()).toBe(3)
    expect(await probeInFreshProcess()).toEqual({ version: '1' })
    expect(await runs()).toBe(3)
  })

  it('keeps at most PROBE_CACHE_ENTRIES entries, dropping the least recently written', async () => {
    const probes = join(cache, 'probes')
    await run('mkdir', ['-p', probes])
    const old = new Date('2020-01-01T00:00:00Z')
    for (let i = 0; i < PROBE_CACHE_ENTRIES; i++) {
      const file = join(probes, `old-${String(i).padStart(3, '0')}.json`)
      await writeFile(file, '{}')
      const at = new Date(old.getTime() + i * 1000)
      await utimes(file, at, at)
    }
    await probeInFreshProcess()
    const left = await readdir(probes)
    expect(left).toHaveLength(PROBE_CACHE_ENTRIES)
    expect(left).not.toContain('old-000.json')
    expect(left).toContain('old-001.json')
    // the entry just written stays, and answers the next process
    await probeInFreshProcess()
    expect(await runs()).toBe(1)
  })

  it("asks once for every project's SOURCE_DATE_EPOCH (polyship sets it per project; no toolchain answer depends on it)", async () => {
    expect(await probeInFreshProcess({ SOURCE_DATE_EPOCH: '1700000000' })).toEqual({ version: '1' })
    expect(await probeInFreshProcess({ SOURCE_DATE_EPOCH: '1800000000' })).toEqual({ version: '1' })
    expect(await runs()).toBe(1)
  })

  it('asks again in the same process when the executable is rewritten in place (same size, new mtime)', async () => {
    await probe()
    await probe()
    expect(await runs()).toBe(1)
    const later = new Date(Date.now() + 60_000)
    await utimes(join(bin, 'tool'), later, later)
    await probe()
    expect(await runs()).toBe(2)
  })

  it('never stores the answer of a script: a shim chooses its tool from anything', async () => {
    await writeFile(join(bin, 'tool'), '#!/bin/sh\nexit 0\n', { mode: 0o755 })
    await probeInFreshProcess()
    await probeInFreshProcess()
    expect(await runs()).toBe(2)
    expect(await readdir(join(cache, 'probes')).catch(() => [])).toEqual([])
  })

  it('asks again when a file in the key or a file the answer depends on changes', async () => {
    const settings = join(dir, 'settings.toml')
    const sysrootTool = join(dir, 'sysroot-rustc')
    await writeFile(sysrootTool, 'a')
    const spec = { files: [settings], dependsOn: () => [sysrootTool] }
    await probe(spec)
    await probe(spec)
    expect(await runs()).toBe(1)
    await writeFile(settings, 'default_toolchain = "nightly"\n') // absent -> present
    await probe(spec)
    expect(await runs()).toBe(2)
    await writeFile(sysrootTool, 'bb') // rustup update replaced the toolchain's own rustc
    await probe(spec)
    expect(await runs()).toBe(3)
    await probe(spec)
    expect(await runs()).toBe(3)
  })

  it('asks again when the probe itself is different code (a polyship that reads the answer differently)', async () => {
    await probe()
    await probe({
      run: async () => {
        await appendFile(log, 'ran\n')
        return { version: 2 }
      },
    })
    expect(await runs()).toBe(2)
  })

  it('keeps no failed answer, and answers when the cache directory cannot be written', async () => {
    const failing = probe({
      run: async () => {
        await appendFile(log, 'ran\n')
        throw new Error('tool crashed')
      },
    })
    await expect(failing).rejects.toThrow('tool crashed')
    await probe()
    expect(await runs()).toBe(2)

    const blocker = join(dir, 'not-a-dir')
    await writeFile(blocker, '')
    const answer = await cachedProbe({
      name: 'tool --version',
      command: 'tool',
      env: env({ POLYSHIP_CACHE: blocker }),
      run: async () => 'ok',
    })
    expect(answer).toBe('ok')
  })

  it('runs the probe when the executable is not on PATH, so the caller reports the missing tool', async () => {
    await expect(
      cachedProbe({
        name: 'absent',
        command: 'no-such-tool-here',
        env: env(),
        run: () => run('no-such-tool-here', [], { env: env() }),
      }),
    ).rejects.toMatchObject({ code: 'SUBPROCESS_NOT_FOUND' })
  })

  it('lives in the tool cache: POLYSHIP_CACHE, else the user cache directory', () => {
    expect(probeCacheDir({ POLYSHIP_CACHE: '/x' })).toBe('/x/probes')
    expect(probeCacheDir({ XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/polyship/probes')
    expect(probeCacheDir({ HOME: '/home/u' })).toBe('/home/u/.cache/polyship/probes')
  })
})
