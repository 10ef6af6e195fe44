import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { readTarGz, scanTar } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let work: string
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'polyship-tar-reader-'))
})
afterAll(() => rm(work, { recursive: true, force: true }))

const LONG = `${'dir-'.repeat(30)}/${'file-'.repeat(25)}.txt`
const LONG_TARGET = `${'target-'.repeat(20)}/x`

/** A small file, and (but for ustar) a long name and a long symlink target, tarred by GNU tar in `format`. */
const made = new Map<string, Promise<Buffer>>()
function gnuTar(format: 'gnu' | 'posix' | 'ustar'): Promise<Buffer> {
  if (!made.has(format)) made.set(format, makeTar(format))
  return made.get(format)!
}

async function makeTar(format: 'gnu' | 'posix' | 'ustar'): Promise<Buffer> {
  const tree = join(work, `tree-${format}`)
  await mkdir(tree, { recursive: true })
  await writeFile(join(tree, 'small.txt'), 'hello\n')
  if (format !== 'ustar') {
    await mkdir(join(tree, LONG.split('/')[0]!), { recursive: true })
    await writeFile(join(tree, LONG), 'deep\n')
    await symlink(LONG_TARGET, join(tree, 'link'))
  }
  const file = join(work, `${format}.tar`)
  execFileSync('tar', [`--format=${format}`, '--mtime=@1700000000', '-cf', file, '-C', tree, '.'])
  return readFile(file)
}

describe('scanTar, the one tar reader', () => {
  it.each(['gnu', 'posix'] as const)(
    'reads GNU tar %s archives: long names, long link targets, mtimes, kept bytes',
    async (format) => {
      const scan = await scanTar([await gnuTar(format)], {
        keep: (m) => m.path.endsWith('small.txt'),
        where: `${format}.tar`,
      })
      const byPath = new Map(scan.members.map((m) => [m.path.replace(/^\.\//, ''), m]))
      expect(byPath.get(LONG)?.type).toBe('file')
      expect(byPath.get(LONG)?.size).toBe(5)
      expect(byPath.get('link')).toMatchObject({ type: 'symlink', linkTarget: LONG_TARGET })
      expect(byPath.get('small.txt')?.mtime).toBe(1_700_000_000)
      expect(scan.contents.get('./small.txt')?.toString()).toBe('hello\n')
    },
  )

  it('takes the size from a PAX record over the header field (the wheel reader once ignored it)', async () => {
    // Python writes a PAX header with a size record; the ustar size field is then zeroed, as
    // writers do for members past the 8 GiB the field can hold.
    const script = `
import io, sys, tarfile
out = io.BytesIO()
with tarfile.open(fileobj=out, mode='w', format=tarfile.PAX_FORMAT) as tar:
    info = tarfile.TarInfo('data.bin'); info.size = 700; info.pax_headers = {'size': '700'}
    tar.addfile(info, io.BytesIO(b'x' * 700))
    info = tarfile.TarInfo('after.txt'); info.size = 3
    tar.addfile(info, io.BytesIO(b'abc'))
raw = bytearray(out.getvalue())
raw[1024 + 124:1024 + 136] = b'00000000000\\0'
sys.stdout.buffer.write(bytes(raw))
`
    const tar = execFileSync('python3', ['-c', script])
    const scan = await scanTar([tar], { keep: () => true, where: 'pax.tar' })
    expect(scan.members.map((m) => [m.path, m.size])).toEqual([
      ['data.bin', 700],
      ['after.txt', 3],
    ])
    expect(scan.contents.get('after.txt')?.toString()).toBe('abc')
  })

  it('a truncated archive is ARCHIVE_CORRUPT naming it; an oversized kept member ARCHIVE_TOO_LARGE or listed only', async () => {
    const tar = await gnuTar('ustar')
    const cut = tar.subarray(0, 512 + 2)
    await expect(scanTar([cut], { keep: () => true, where: 'cut.tar' })).rejects.toMatchObject({
      code: 'ARCHIVE_CORRUPT',
      message: expect.stringContaining('cut.tar'),
    })
    await expect(scanTar([tar], { keep: () => true, maxKept: 2, where: 'big.tar' })).rejects.toMatchObject({
      code: 'ARCHIVE_TOO_LARGE',
    })
    const listed = await scanTar([tar], { keep: () => true, maxKept: 2, oversized: 'list', where: 'big.tar' })
    expect(listed.contents.size).toBe(0)
    expect(listed.members.some((m) => m.path.endsWith('small.txt'))).toBe(true)
  })

  it('readTarGz lists files and directories and keeps what is asked for', async () => {
    const file = join(work, 'posix.tar.gz')
    await writeFile(file, gzipSync(await gnuTar('posix')))
    const listing = await readTarGz(file, (name) => name === './small.txt')
    expect(listing.names).toContain(`./${LONG}`)
    expect(listing.names).not.toContain('./link')
    expect(listing.files.get('./small.txt')?.toString()).toBe('hello\n')
    await writeFile(
      join(work, 'bad.tar.gz'),
      gzipSync(Buffer.from('not a tar at all, but long enough?'.repeat(20))),
    )
    await expect(readTarGz(join(work, 'bad.tar.gz'), () => true)).rejects.toMatchObject({
      code: 'ARCHIVE_CORRUPT',
    })
  })
})
