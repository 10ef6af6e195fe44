import { CoreError, openZip } from '@polyship/core'
import { ContainerError } from '../errors.ts'

/** What a wheel's `*.dist-info/METADATA` says about what it needs, and what it can be imported as. */
export interface WheelMetadata {
  readonly name: string
  readonly version: string
  /** `Requires-Dist` lines as written (PEP 508, markers included). */
  readonly requiresDist: readonly string[]
  readonly requiresPython?: string
  /** Top-level import names: packages (`pkg/__init__.py`) and modules (`mod.py`, `mod.*.so`), sorted. */
  readonly importNames: readonly string[]
}

/** Reads METADATA and the top-level names of a wheel; `where` names it in messages. */
export async function readWheelMetadata(path: string, where: string): Promise<WheelMetadata> {
  let text: string
  let names: string[]
  try {
    await using zip = await openZip(path, where)
    const metadata = zip.entries.find((e) => /^[^/]+\.dist-info\/METADATA$/.test(e.name))
    // No METADATA: nothing required; installWheel reports what else is wrong with the wheel.
    text = metadata === undefined ? '' : (await zip.read(metadata)).toString('utf8')
    names = zip.entries.map((e) => e.name)
  } catch (cause) {
    if (cause instanceof CoreError) throw invalid(where, cause.message, cause)
    throw cause
  }
  const headers = parseHeaders(text)
  const requiresPython = headers.get('requires-python')?.[0]
  return {
    name: headers.get('name')?.[0] ?? '',
    version: headers.get('version')?.[0] ?? '',
    requiresDist: headers.get('requires-dist') ?? [],
    ...(requiresPython === undefined ? {} : { requiresPython }),
    importNames: importNames(names),
  }
}

/**
 * Whether a requirement is needed at run time: false only for those whose marker is exactly
 * one `extra == "..."` (an optional extra nobody asked for). Anything else may apply to the
 * image and goes to the resolver, which evaluates markers for the target platform.
 */
export function isRuntimeRequirement(requirement: string): boolean {
  const semicolon = requirement.indexOf(';')
  if (semicolon === -1) return true
  return !/^\s*extra\s*==\s*(['"])[A-Za-z0-9._-]+\1\s*$/.test(requirement.slice(semicolon + 1))
}

/** RFC 822-style headers up to the first blank line (the body is the description). */
function parseHeaders(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  let last: string | undefined
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break
    if (/^[ \t]/.test(line) && last !== undefined) continue
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    last = line.slice(0, colon).trim().toLowerCase()
    out.set(last, [...(out.get(last) ?? []), line.slice(colon + 1).trim()])
  }
  return out
}

function importNames(entries: readonly string[]): string[] {
  const names = new Set<string>()
  for (const entry of entries) {
    const parts = entry.split('/')
    const top = parts[0]!
    if (top.endsWith('.dist-info') || top.endsWith('.data')) continue
    if (parts.length === 2 && parts[1] === '__init__.py' && IDENTIFIER.test(top)) names.add(top)
    if (parts.length === 1) {
      const module = /^([A-Za-z_][A-Za-z0-9_]*)(?:\.py|\.[A-Za-z0-9_-]+\.so|\.so)$/.exec(top)
      if (module !== null) names.add(module[1]!)
    }
  }
  return [...names].sort()
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

function invalid(where: string, problem: string, cause?: unknown): ContainerError {
  return new ContainerError('CONTAINER_WHEEL_INVALID', `${where}: ${problem}`, {
    hint: 'rebuild the wheel with a standard build backend (maturin, setuptools, hatchling)',
    ...(cause === undefined ? {} : { cause }),
  })
}
