import { rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type Digest, digestHex, sha256 } from '@polyship/core'

/** `<hex>  <name>` lines sorted by name (bytewise), newline-terminated: what `sha256sum -c` reads. */
export function formatChecksums(
  files: readonly { readonly name: string; readonly digest: Digest }[],
): string {
  return [...files]
    .sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)))
    .map((file) => `${digestHex(file.digest)}  ${file.name}\n`)
    .join('')
}

/** Writes the checksums file into `dir` (temp file + rename) and returns its path, digest and size. */
export async function writeChecksums(
  dir: string,
  fileName: string,
  files: readonly { readonly name: string; readonly digest: Digest }[],
): Promise<{ path: string; digest: Digest; size: number }> {
  const text = formatChecksums(files)
  const path = join(dir, fileName)
  const temp = `${path}.${process.pid}.tmp`
  await writeFile(temp, text)
  await rename(temp, path)
  return { path, digest: sha256(text), size: Buffer.byteLength(text) }
}
