import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BinaryError } from '../errors.ts'

/** The parts of go.mod that decide how to build. */
export interface GoMod {
  readonly file: string
  readonly module: string
  /** The `go` line: the minimum Go version (`1.24`, `1.24.1`). */
  readonly go?: string
  /** The `toolchain` line without its `go` prefix (`1.25.3`). */
  readonly toolchain?: string
}

/** Parses go.mod text; `file` is for messages. */
export function parseGoMod(text: string, file: string): GoMod {
  let module: string | undefined
  let go: string | undefined
  let toolchain: string | undefined
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim()
    const [keyword, value, ...rest] = line.split(/\s+/)
    if (value === undefined || rest.length > 0) continue
    if (keyword === 'module') module = value.replace(/^"(.*)"$/, '$1')
    else if (keyword === 'go') go = value
    else if (keyword === 'toolchain') toolchain = value.replace(/^go/, '')
  }
  if (module === undefined) {
    throw new BinaryError('BINARY_PROJECT_INVALID', `${file}: no module line`, {
      hint: 'run go mod init <module path> in the project',
    })
  }
  return {
    file,
    module,
    ...(go === undefined ? {} : { go }),
    ...(toolchain === undefined ? {} : { toolchain }),
  }
}

export async function readGoMod(projectRoot: string): Promise<GoMod> {
  return readGoModFile(join(projectRoot, 'go.mod'))
}

/** Reads and parses one go.mod. */
export async function readGoModFile(file: string): Promise<GoMod> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw cause
    throw new BinaryError('BINARY_PROJECT_INVALID', `${file} does not exist; a Go binary project needs one`, {
      cause,
      hint: 'point the project at a directory inside a Go module (a go.mod in it or above it), or fix polyship.binary.toolchain',
    })
  }
  return parseGoMod(text, file)
}

/**
 * Compares Go versions the way the go command does (`1.21` < `1.21rc1` < `1.21.0` <
 * `1.21.1`): negative when a is older. Accepts an optional `go` prefix.
 */
export function compareGoVersions(a: string, b: string): number {
  const [pa, pb] = [parseGoVersion(a), parseGoVersion(b)]
  for (let i = 0; i < pa.length; i++) {
    const d = pa[i]! - pb[i]!
    if (d !== 0) return d
  }
  return 0
}

function parseGoVersion(text: string): number[] {
  const match = /^(?:go)?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(beta|rc)(\d+))?$/.exec(text)
  if (match === null) throw new Error(`not a Go version: ${text}`)
  const [, major, minor = '0', patch, pre, preNumber = '0'] = match
  // rank: language version (no patch) < beta < rc < release
  const rank = pre === 'beta' ? 1 : pre === 'rc' ? 2 : patch === undefined ? 0 : 3
  return [Number(major), Number(minor), Number(patch ?? 0), rank, Number(preNumber)]
}

export function isGoVersion(text: string): boolean {
  return /^(?:go)?\d+(?:\.\d+)?(?:\.\d+)?(?:(?:beta|rc)\d+)?$/.test(text)
}
