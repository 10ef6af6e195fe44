import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CoreError, openZip, writeArchive } from '@polyship/core'
import { beforeAll, describe, expect, it } from 'vitest'

let work: string

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'polyship-zip-reader-'))
})

function python(script: string, ...args: string[]): string {
  return execFileSync('python3', ['-c', script, ...args], { encoding: 'utf8' })
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise
  } catch (error) {
    if (error instanceof CoreError) return error.code
    throw error
  }
  return undefined
}

describe('openZip', () => {
  it('reads what core zipStream writes: names, modes, symlinks, contents', async () => {
    const file = join(work, 'ours.zip')
    const big = Buffer.alloc(3 << 20, 'polyship ')
    await writeArchive(
      file,
      [
        { type: 'file', path: 'bin/tool', content: '#!/bin/sh\n', mode: 0o755 },
        { type: 'file', path: 'data/big.txt', content: big },
        { type: 'symlink', path: 'run', target: 'bin/tool' },
      ],
      { format: 'zip', mtime: 0 },
    )
    await using zip = await openZip(file)
    expect(zip.entries.map((e) => e.name)).toEqual(['bin/', 'bin/tool', 'data/', 'data/big.txt', 'run'])
    expect(zip.find('bin/tool')?.mode).toBe(0o755)
    expect(zip.find('data/big.txt')?.mode).toBe(0o644)
    expect(zip.find('run')?.symlink).toBe(true)
    expect((await zip.read(zip.find('run')!)).toString()).toBe('bin/tool')
    let streamed = 0
    let chunks = 0
    for await (const chunk of zip.stream(zip.find('data/big.txt')!)) {
      streamed += chunk.length
      chunks++
    }
    expect(streamed).toBe(big.length)
    expect(chunks).toBeGreaterThan(1)
    expect((await zip.read(zip.find('bin/tool')!)).toString()).toBe('#!/bin/sh\n')
  })

  it('reads stored and deflated entries written by Python zipfile', async () => {
    const file = join(work, 'python.zip')
    python(
      `import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    z.writestr(zipfile.ZipInfo('stored.txt'), 'stored text', compress_type=zipfile.ZIP_STORED)
    z.writestr('deflated.txt', 'deflated ' * 1000, compress_type=zipfile.ZIP_DEFLATED)
    z.writestr('empty.txt', '')
    z.writestr('ünïcode/名前.txt', 'utf-8 name')`,
      file,
    )
    await using zip = await openZip(file)
    expect(zip.entries.map((e) => [e.name, e.method])).toEqual([
      ['stored.txt', 0],
      ['deflated.txt', 8],
      ['empty.txt', 0],
      ['ünïcode/名前.txt', 0],
    ])
    expect((await zip.read(zip.find('stored.txt')!)).toString()).toBe('stored text')
    expect((await zip.read(zip.find('deflated.txt')!)).toString()).toBe('deflated '.repeat(1000))
    expect((await zip.read(zip.find('empty.txt')!)).length).toBe(0)
    expect((await zip.read(zip.find('ünïcode/名前.txt')!)).toString()).toBe('utf-8 name')
  })

  it('refuses damaged archives with ARCHIVE_CORRUPT, naming the file', async () => {
    const notZip = join(work, 'not.zip')
    await writeFile(notZip, 'hello, I am text')
    await expect(openZip(notZip)).rejects.toThrow(/not\.zip is not a readable zip archive/)
    expect(await codeOf(openZip(notZip))).toBe('ARCHIVE_CORRUPT')
    expect(await codeOf(openZip(join(work, 'missing.zip')))).toBe('ARCHIVE_CORRUPT')

    const good = join(work, 'flip.zip')
    await writeArchive(good, [{ type: 'file', path: 'a.txt', content: 'a'.repeat(5000) }], {
      format: 'zip',
      mtime: 0,
    })
    const bytes = await readFile(good)
    await using zip = await openZip(good)
    const entry = zip.find('a.txt')!
    // flip a byte of the deflated data: inflate fails or the CRC does not match
    bytes[entry.offset + 30 + 'a.txt'.length + 2]! ^= 0xff
    const flipped = join(work, 'flipped.zip')
    await writeFile(flipped, bytes)
    await using damaged = await openZip(flipped)
    expect(await codeOf(damaged.read(damaged.find('a.txt')!))).toBe('ARCHIVE_CORRUPT')
    const drain = async () => {
      for await (const _ of damaged.stream(damaged.find('a.txt')!));
    }
    expect(await codeOf(drain())).toBe('ARCHIVE_CORRUPT')

    const truncated = join(work, 'truncated.zip')
    await writeFile(truncated, bytes.subarray(0, bytes.length - 30))
    expect(await codeOf(openZip(truncated))).toBe('ARCHIVE_CORRUPT')
  })

  it('refuses encrypted entries and other compression methods with ARCHIVE_UNSUPPORTED', async () => {
    const bzip = join(work, 'bzip2.zip')
    python(
      `import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', compression=zipfile.ZIP_BZIP2) as z:
    z.writestr('x.txt', 'x' * 100)`,
      bzip,
    )
    await expect(openZip(bzip)).rejects.toThrow(/x\.txt uses compression method 12/)
    expect(await codeOf(openZip(bzip))).toBe('ARCHIVE_UNSUPPORTED')

    await writeFile(join(work, 'secret.txt'), 'secret')
    const encrypted = join(work, 'encrypted.zip')
    execFileSync('zip', ['-q', '-P', 'pw', encrypted, 'secret.txt'], { cwd: work })
    expect(await codeOf(openZip(encrypted))).toBe('ARCHIVE_UNSUPPORTED')
  })
})
