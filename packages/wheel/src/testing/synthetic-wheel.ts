import { createCipheriv, createHash } from 'node:crypto'
import { join } from 'node:path'
import { wheelRecordHash, writeArchive } from '@polyship/core'
import { escapedName } from '../names.ts'

export interface SyntheticWheelOptions {
  readonly name: string
  readonly version: string
  /** Extra payload bytes in a data file (default 0), deterministic from `seed`. */
  readonly size?: number
  readonly seed?: string
  readonly tag?: string
  /** Extra METADATA header lines. */
  readonly metadata?: readonly string[]
  readonly mtime?: number
}

/**
 * Writes a valid pure-Python wheel (METADATA, WHEEL, RECORD with correct hashes) with a
 * module `<name>/__init__.py` that sets `__version__`; returns its path. For tests and
 * benchmarks that need many real wheels without compiling anything.
 */
export async function writeSyntheticWheel(dir: string, options: SyntheticWheelOptions): Promise<string> {
  const module = escapedName(options.name)
  const tag = options.tag ?? 'py3-none-any'
  const info = `${module}-${options.version}.dist-info`
  const files: [string, Buffer][] = [
    [`${module}/__init__.py`, Buffer.from(`__version__ = ${JSON.stringify(options.version)}\n`)],
    [
      `${info}/METADATA`,
      Buffer.from(
        [
          'Metadata-Version: 2.4',
          `Name: ${options.name}`,
          `Version: ${options.version}`,
          'Summary: a synthetic wheel',
          'Description-Content-Type: text/markdown',
          ...(options.metadata ?? []),
          '',
          `# ${options.name}`,
          '',
        ].join('\n'),
      ),
    ],
    [
      `${info}/WHEEL`,
      Buffer.from(`Wheel-Version: 1.0\nGenerator: polyship-testing\nRoot-Is-Purelib: true\nTag: ${tag}\n`),
    ],
  ]
  if ((options.size ?? 0) > 0)
    files.push([`${module}/data.bin`, pseudoRandom(options.size!, options.seed ?? options.name)])
  const record = files
    .map(([path, data]) => `${path},${wheelRecordHash(data)},${data.length}`)
    .concat(`${info}/RECORD,,`, '')
    .join('\n')
  files.push([`${info}/RECORD`, Buffer.from(record)])
  const path = join(dir, `${module}-${options.version}-${tag}.whl`)
  await writeArchive(
    path,
    files.map(([p, content]) => ({ type: 'file' as const, path: p, content })),
    { format: 'zip', mtime: options.mtime ?? 1_700_000_000 },
  )
  return path
}

/** Incompressible bytes, the same for the same seed. */
function pseudoRandom(size: number, seed: string): Buffer {
  const key = createHash('sha256').update(seed).digest()
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size))
}

/** Writes a minimal sdist (`<name>-<version>/PKG-INFO` and a module) as a .tar.gz; returns its path. */
export async function writeSyntheticSdist(
  dir: string,
  options: Pick<SyntheticWheelOptions, 'name' | 'version' | 'seed' | 'mtime'>,
): Promise<string> {
  const top = `${escapedName(options.name)}-${options.version}`
  const path = join(dir, `${top}.tar.gz`)
  const pkgInfo = `Metadata-Version: 2.4\nName: ${options.name}\nVersion: ${options.version}\nSummary: a synthetic sdist\nDescription-Content-Type: text/markdown\n\n# ${options.name}\n`
  await writeArchive(
    path,
    [
      { type: 'file', path: `${top}/PKG-INFO`, content: pkgInfo },
      {
        type: 'file',
        path: `${top}/src/${escapedName(options.name)}.py`,
        content: `# ${options.seed ?? ''}\n`,
      },
    ],
    { format: 'tar.gz', mtime: options.mtime ?? 1_700_000_000 },
  )
  return path
}
