import { createHash } from 'node:crypto'
import { constants } from 'node:fs'
import { copyFile, link, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { commitAll, exampleWorkspace, goProjectFiles, polyship, type TestWorkspace } from './workspace.ts'

const sha = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`
const ARCHIVE = 'one_1.0.0_linux_amd64.tar.gz'

/** Whether the filesystem of `dir` makes copy-on-write clones (what placeFile tries first). */
async function clones(dir: string): Promise<boolean> {
  const probe = join(dir, '.clone-probe')
  await writeFile(probe, 'probe')
  try {
    await copyFile(probe, `${probe}.clone`, constants.COPYFILE_FICLONE_FORCE)
    return true
  } catch {
    return false
  } finally {
    await rm(probe, { force: true })
    await rm(`${probe}.clone`, { force: true })
  }
}

/**
 * `polyship package` shares the built bytes with dist/package (a clone or a hard link where
 * the filesystem allows) instead of copying them, and a rebuild replaces files rather than
 * writing into them, so a package written earlier keeps its bytes.
 */
describe('dist/package shares the built files', () => {
  let ws: TestWorkspace
  beforeAll(async () => {
    ws = await exampleWorkspace({
      projects: [],
      globs: ['go/one'],
      files: goProjectFiles('go/one', { main: 'package main\n\nfunc main() { println("one") }\n' }),
    })
  }, 120_000)
  afterAll(() => ws?.remove())

  const builtArchive = async () => {
    const build = join(ws.root, 'dist', 'build')
    const found = (await readdir(build, { recursive: true })).filter((f) => f.endsWith(ARCHIVE))
    expect(found).toHaveLength(1)
    return join(build, found[0]!)
  }

  it('packaged files are the built files (same inode, or a clone with the same bytes); a rebuild leaves an earlier package intact', async () => {
    const first = await polyship(['package'], ws)
    expect(first.code, first.stderr).toBe(0)
    const packaged = join(ws.root, 'dist', 'package', 'one', ARCHIVE)
    const built = await builtArchive()
    const [p, b] = await Promise.all([stat(packaged), stat(built)])
    const firstBytes = await readFile(packaged)
    expect(sha(firstBytes)).toBe(sha(await readFile(built)))
    // Where dist/ can clone (btrfs, xfs), the package is an independent clone; elsewhere a hard link.
    if (await clones(join(ws.root, 'dist'))) expect(p.nlink).toBe(1)
    else {
      expect(p.ino).toBe(b.ino)
      expect(p.nlink).toBeGreaterThanOrEqual(2)
    }
    const checksums = await readFile(
      join(ws.root, 'dist', 'package', 'one', 'one_1.0.0_checksums.txt'),
      'utf8',
    )
    expect(checksums).toContain(sha(firstBytes).slice('sha256:'.length))

    // Keep the first package aside (its directory is rewritten by the next run), then rebuild.
    const kept = join(ws.root, 'dist', 'kept.tar.gz')
    await link(packaged, kept)
    await writeFile(join(ws.root, 'go', 'one', 'main.go'), 'package main\n\nfunc main() { println("two") }\n')
    await commitAll(ws.root, 'one prints two')
    const second = await polyship(['package'], ws)
    expect(second.code, second.stderr).toBe(0)

    const rebuilt = await readFile(await builtArchive())
    expect(sha(rebuilt)).not.toBe(sha(firstBytes))
    expect(sha(await readFile(packaged))).toBe(sha(rebuilt))
    // The first package's bytes are untouched: nothing was written into a shared file.
    expect(sha(await readFile(kept))).toBe(sha(firstBytes))
  }, 600_000)
})
