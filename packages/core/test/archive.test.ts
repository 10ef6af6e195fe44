import { execFileSync } from 'node:child_process'
import { chmod, mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ArchiveEntry, CoreError, sourceDateEpoch, treeEntries, writeArchive } from '@polyship/core'
import { beforeAll, describe, expect, it } from 'vitest'

const EPOCH = 1_700_000_000
let tree: string
let work: string

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'polyship-archive-'))
  tree = join(work, 'tree')
  await mkdir(join(tree, 'bin'), { recursive: true })
  await writeFile(join(tree, 'bin', 'server'), '#!/bin/sh\necho hi\n')
  await chmod(join(tree, 'bin', 'server'), 0o755)
  await writeFile(join(tree, 'README.md'), '# readme\n')
  const deep = join(tree, 'a'.repeat(60), 'b'.repeat(60), 'c'.repeat(60))
  await mkdir(deep, { recursive: true })
  await writeFile(join(deep, `${'long-name-'.repeat(12)}.txt`), 'deep\n')
  await symlink('bin/server', join(tree, 'run'))
})

function python(script: string, ...args: string[]): string {
  return execFileSync('python3', ['-c', script, ...args], { encoding: 'utf8' })
}

describe('tar.gz', () => {
  it('writes byte-identical archives of the same tree', async () => {
    const entries = await treeEntries(tree, { prefix: 'pkg' })
    const a = await writeArchive(join(work, 'a.tar.gz'), entries, { format: 'tar.gz', mtime: EPOCH })
    const b = await writeArchive(join(work, 'b.tar.gz'), await treeEntries(tree, { prefix: 'pkg' }), {
      format: 'tar.gz',
      mtime: EPOCH,
    })
    expect(a.digest).toBe(b.digest)
    expect(
      Buffer.compare(await readFile(join(work, 'a.tar.gz')), await readFile(join(work, 'b.tar.gz'))),
    ).toBe(0)
    const bytes = await readFile(join(work, 'a.tar.gz'))
    expect(bytes.readUInt32LE(4)).toBe(0) // gzip mtime
    expect(bytes[9]).toBe(255) // gzip OS byte normalized
  })

  it('is read alike by GNU tar and Python tarfile: uid/gid 0, epoch mtime, modes, PAX long names', async () => {
    const file = join(work, 'listed.tar.gz')
    await writeArchive(file, await treeEntries(tree, { prefix: 'pkg' }), { format: 'tar.gz', mtime: EPOCH })
    const gnu = execFileSync('tar', ['--numeric-owner', '--full-time', '-tzvf', file], {
      encoding: 'utf8',
      env: { TZ: 'UTC' },
    })
    const lines = gnu.trim().split('\n')
    for (const line of lines) {
      expect(line).toMatch(/ 0\/0 /)
      expect(line).toContain('2023-11-14 22:13:20')
    }
    expect(gnu).toMatch(/^-rwxr-xr-x 0\/0 .* pkg\/bin\/server$/m)
    expect(gnu).toMatch(/^lrwxrwxrwx 0\/0 .* pkg\/run -> bin\/server$/m)
    const gnuNames = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).trim().split('\n')
    const pyNames = python(
      'import sys,tarfile\nfor m in tarfile.open(sys.argv[1]).getmembers(): print(m.name + ("/" if m.isdir() else ""), m.uid, m.gid, m.uname == "", m.mtime)',
      file,
    )
      .trim()
      .split('\n')
    expect(pyNames.map((l) => l.split(' ')[0])).toEqual(gnuNames)
    for (const line of pyNames) expect(line.split(' ').slice(1)).toEqual(['0', '0', 'True', String(EPOCH)])
    expect(gnuNames.some((name) => name.length > 200)).toBe(true) // needed PAX
    expect(gnuNames).toEqual([...gnuNames].sort())
    expect(gnuNames[0]).toBe('pkg/')
  })

  it('adds parent directories and extracts with GNU tar', async () => {
    const file = join(work, 'parents.tar')
    await writeArchive(file, [{ type: 'file', path: 'usr/local/bin/tool', content: 'x', mode: 0o755 }], {
      format: 'tar',
      mtime: 0,
    })
    expect(execFileSync('tar', ['-tf', file], { encoding: 'utf8' })).toBe(
      'usr/\nusr/local/\nusr/local/bin/\nusr/local/bin/tool\n',
    )
  })

  it('rejects entries escaping the root and duplicates, with a code', async () => {
    const bad: ArchiveEntry[][] = [
      [{ type: 'file', path: '../etc/passwd', content: 'x' }],
      [{ type: 'file', path: '/etc/passwd', content: 'x' }],
      [
        { type: 'file', path: 'a', content: 'x' },
        { type: 'file', path: './a', content: 'y' },
      ],
    ]
    for (const entries of bad) {
      await expect(
        writeArchive(join(work, 'bad.tar'), entries, { format: 'tar', mtime: 0 }),
      ).rejects.toMatchObject({
        code: 'ARCHIVE_INVALID_ENTRY',
      })
    }
  })
})

describe('zip', () => {
  it('is identical across writes and read by unzip and Python zipfile with modes and fixed times', async () => {
    const entries = () => treeEntries(tree, { prefix: 'pkg', include: (rel) => rel !== 'run' })
    const a = await writeArchive(join(work, 'a.zip'), await entries(), { format: 'zip', mtime: EPOCH })
    const b = await writeArchive(join(work, 'b.zip'), await entries(), { format: 'zip', mtime: EPOCH })
    expect(a.digest).toBe(b.digest)
    execFileSync('unzip', ['-tq', join(work, 'a.zip')])
    const listing = python(
      'import sys,zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist(): print(i.filename, oct(i.external_attr >> 16), i.date_time)',
      join(work, 'a.zip'),
    )
    expect(listing).toContain('pkg/bin/server 0o100755 (2023, 11, 14, 22, 13, 20)')
    expect(listing).toContain('pkg/README.md 0o100644')
    const extracted = join(work, 'unzipped')
    execFileSync('unzip', ['-q', join(work, 'a.zip'), '-d', extracted])
    expect(await readFile(join(extracted, 'pkg', 'bin', 'server'), 'utf8')).toBe('#!/bin/sh\necho hi\n')
  })
})

describe('sourceDateEpoch', () => {
  it('reads SOURCE_DATE_EPOCH, defaults to 0, rejects garbage with a code', () => {
    expect(sourceDateEpoch({ SOURCE_DATE_EPOCH: '1700000000' })).toBe(EPOCH)
    expect(sourceDateEpoch({})).toBe(0)
    expect(() => sourceDateEpoch({ SOURCE_DATE_EPOCH: 'yesterday' })).toThrow(CoreError)
  })
})
