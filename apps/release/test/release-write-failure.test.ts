import { execFileSync } from 'node:child_process'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exampleWorkspace, polyship, type TestWorkspace } from './workspace.ts'

/**
 * Finding 13: a release whose embedded destinations sit on a full disk (ENOSPC) or a
 * read-only one (EROFS) stopped with a stack trace (exit 70). It must stop with
 * FS_WRITE_FAILED naming the path, leave nothing half-written (no temp file, no torn file
 * a re-run would take for complete), and a re-run with room must complete and verify.
 * The destinations are a real tmpfs mounted for the test (root with CAP_SYS_ADMIN);
 * elsewhere the test is skipped, saying why.
 */

let ws: TestWorkspace
let mnt: string
let mountProblem: string | undefined

const sh = (command: string, args: readonly string[]) => execFileSync(command, args, { stdio: 'pipe' })

beforeAll(async () => {
  ws = await exampleWorkspace({
    projects: ['time-server-go'],
    platforms: { 'time-server-go': ['linux/amd64', 'linux/arm64'] },
  })
  mnt = join(ws.root, '..', 'destinations')
  await mkdir(mnt)
  try {
    sh('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt])
  } catch (error) {
    mountProblem = `cannot mount a tmpfs (needs root with CAP_SYS_ADMIN): ${(error as Error).message.split('\n')[0]}`
    console.warn(`skipping: ${mountProblem}`)
    return
  }
  await ws.configure({
    repository: 'https://github.com/polyship/polyship',
    destinations: {
      images: { type: 'oci-layout', path: join(mnt, 'oci') },
      charts: { type: 'oci-layout', path: join(mnt, 'oci') },
      wheels: { type: 'simple-index', path: join(mnt, 'pypi') },
      files: { type: 'directory', path: join(mnt, 'assets') },
    },
  })
  const built = await polyship(['build'], ws)
  expect(built.code, built.stderr).toBe(0)
}, 300_000)
afterAll(async () => {
  if (mountProblem === undefined) sh('umount', [mnt])
  await ws?.remove()
})

async function allFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
}

async function emptyDestinations(): Promise<void> {
  for (const entry of await readdir(mnt)) await rm(join(mnt, entry), { recursive: true, force: true })
}

describe('a release onto a full or read-only disk', () => {
  it('ENOSPC: FS_WRITE_FAILED naming the path, nothing torn, then a re-run with room completes', async (t) => {
    if (mountProblem !== undefined) return t.skip(mountProblem)
    await emptyDestinations()
    const full = await polyship(['release'], ws)
    expect(full.stderr).not.toContain('this is a bug')
    expect(full.code, full.stderr).toBe(1)
    expect(full.stderr).toMatch(
      new RegExp(`error FS_WRITE_FAILED: cannot write ${mnt}/\\S+: no space left on the device \\(ENOSPC\\)`),
    )
    expect(full.stderr).toContain('hint: free space')
    expect((await allFiles(mnt)).filter((f) => f.endsWith('.tmp'))).toEqual([])

    sh('mount', ['-o', 'remount,size=256m', mnt])
    try {
      const resumed = await polyship(['release'], ws)
      expect(resumed.code, resumed.stderr).toBe(0)
      const verify = await polyship(['verify', 'dist/release.json'], ws)
      expect(verify.code, `${verify.stdout}${verify.stderr}`).toBe(0)
    } finally {
      // a tmpfs shrinks only below what it holds
      await emptyDestinations()
      sh('mount', ['-o', 'remount,size=256k', mnt])
    }
  })

  it('EROFS: FS_WRITE_FAILED naming the path and the read-only filesystem', async (t) => {
    if (mountProblem !== undefined) return t.skip(mountProblem)
    await emptyDestinations()
    await rm(join(ws.root, 'dist', 'release.json'), { force: true })
    sh('mount', ['-o', 'remount,ro', mnt])
    try {
      const result = await polyship(['release'], ws)
      expect(result.stderr).not.toContain('this is a bug')
      expect(result.code, result.stderr).toBe(1)
      expect(result.stderr).toMatch(
        new RegExp(
          `error FS_WRITE_FAILED: cannot write ${mnt}/\\S+: the filesystem is read-only \\(EROFS\\)`,
        ),
      )
    } finally {
      sh('mount', ['-o', 'remount,rw', mnt])
    }
    expect(await allFiles(mnt)).toEqual([])
  })

  it('a read-only outDir: FS_WRITE_FAILED naming it, for build and release', async (t) => {
    if (mountProblem !== undefined) return t.skip(mountProblem)
    await emptyDestinations()
    await mkdir(join(mnt, 'dist'))
    await ws.configure({ repository: 'https://github.com/polyship/polyship', outDir: join(mnt, 'dist') })
    sh('mount', ['-o', 'remount,ro', mnt])
    try {
      for (const args of [['build'], ['release']]) {
        const result = await polyship(args, ws)
        expect(result.stderr, args[0]).not.toContain('this is a bug')
        expect(result.code, result.stderr).toBe(1)
        expect(result.stderr).toMatch(
          new RegExp(
            `error FS_WRITE_FAILED: cannot write ${mnt}/dist\\S*: the filesystem is read-only \\(EROFS\\)`,
          ),
        )
      }
    } finally {
      sh('mount', ['-o', 'remount,rw', mnt])
    }
    expect(await allFiles(mnt)).toEqual([])
  })
})

describe('a pnpm-workspace.yaml YAML cannot turn into values', () => {
  for (const [label, text] of [
    ['an alias to no anchor', 'packages: *examples\n'],
    [
      'an alias bomb',
      `a: &a [x,x,x,x,x,x,x,x,x,x]\n${'bcdefg'
        .split('')
        .map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdef'[i]}`).join(',')}]`)
        .join('\n')}\npackages: [examples/*]\n`,
    ],
    ['a syntax error', 'packages: [examples/*\n'],
  ] as const) {
    it(`${label}: plan and release stop with CONFIG_INVALID naming the file`, async () => {
      const file = join(ws.root, 'pnpm-workspace.yaml')
      const good = await readFile(file, 'utf8')
      await writeFile(file, text)
      try {
        for (const args of [['plan'], ['release', '--dry-run']]) {
          const result = await polyship(args, ws)
          expect(result.stderr).not.toContain('this is a bug')
          expect(result.code, result.stderr).toBe(1)
          expect(result.stderr).toContain(`error CONFIG_INVALID: ${file}`)
        }
      } finally {
        await writeFile(file, good)
      }
    })
  }
})
