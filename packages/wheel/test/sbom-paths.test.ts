import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspectDistribution, relativizeSbomPaths } from '@polyship/wheel'
import { beforeAll, describe, expect, it } from 'vitest'

let work: string

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'polyship-sbom-paths-'))
})

/**
 * A maturin-shaped wheel written by Python's zipfile: a stored extension module, the
 * cargo-cyclonedx SBOM with the crate's absolute package id, RECORD last. `stream` writes
 * through a pipe, so every entry has a data descriptor (sizes after the data).
 */
async function maturinLikeWheel(root: string, stream: boolean): Promise<string> {
  await mkdir(root, { recursive: true })
  const path = join(root, 'core-0.1.0-cp39-abi3-linux_x86_64.whl')
  const script = String.raw`
import base64, hashlib, io, json, sys, zipfile
root, path, stream = sys.argv[1], sys.argv[2], sys.argv[3] == '1'
info = 'core-0.1.0.dist-info'
pkg = 'path+file://' + root + '/py#core@0.1.0'
sbom = json.dumps({'bomFormat': 'CycloneDX', 'metadata': {'component': {'bom-ref': pkg, 'purl': 'pkg:cargo/core@0.1.0?download_url=file://.'}},
  'components': [{'bom-ref': 'registry+https://github.com/rust-lang/crates.io-index#serde@1.0.0'}],
  'dependencies': [{'ref': pkg, 'dependsOn': ['registry+https://github.com/rust-lang/crates.io-index#serde@1.0.0']}]}, indent=2)
files = [('core/__init__.py', b'from ._core import *\n', zipfile.ZIP_DEFLATED),
         ('core/_core.abi3.so', bytes(range(256)) * 64, zipfile.ZIP_STORED),
         (info + '/METADATA', b'Metadata-Version: 2.4\nName: core\nVersion: 0.1.0\n', zipfile.ZIP_DEFLATED),
         (info + '/WHEEL', b'Wheel-Version: 1.0\nGenerator: maturin\nRoot-Is-Purelib: false\nTag: cp39-abi3-linux_x86_64\n', zipfile.ZIP_DEFLATED),
         (info + '/sboms/core.cyclonedx.json', sbom.encode(), zipfile.ZIP_DEFLATED)]
record = ''.join('%s,sha256=%s,%d\n' % (n, base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b'=').decode(), len(d)) for n, d, _ in files) + info + '/RECORD,,\n'
files.append((info + '/RECORD', record.encode(), zipfile.ZIP_DEFLATED))
class Pipe(io.RawIOBase):
    def __init__(self): self.out = bytearray()
    def writable(self): return True
    def write(self, b): self.out += b; return len(b)
sink = Pipe() if stream else open(path, 'wb')
with zipfile.ZipFile(sink, 'w') as z:
    for name, data, method in files:
        entry = zipfile.ZipInfo(name, (2023, 11, 14, 22, 13, 20))
        entry.external_attr = (0o755 if name.endswith('.so') else 0o644) << 16
        z.writestr(entry, data, compress_type=method)
if stream: open(path, 'wb').write(sink.out)
`
  execFileSync('python3', ['-c', script, root, path, stream ? '1' : '0'])
  return path
}

const sha256 = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex')

/** Names, methods, modes, CRC check and the SBOM text, as Python's zipfile reads them. */
function pythonView(path: string): {
  names: string[]
  methods: number[]
  modes: number[]
  bad: null
  sbom: string
} {
  const script = `
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
print(json.dumps({'names': z.namelist(), 'methods': [i.compress_type for i in z.infolist()],
  'modes': [i.external_attr >> 16 for i in z.infolist()], 'bad': z.testzip(),
  'sbom': z.read('core-0.1.0.dist-info/sboms/core.cyclonedx.json').decode()}))
`
  return JSON.parse(execFileSync('python3', ['-c', script, path], { encoding: 'utf8' }))
}

describe("maturin's embedded SBOM made path-independent", () => {
  for (const stream of [false, true]) {
    it(`two checkouts in different directories give the same wheel (${stream ? 'data descriptors' : 'sizes in local headers'})`, async () => {
      const first = await maturinLikeWheel(join(work, `${stream}`, 'clone-one'), stream)
      const second = await maturinLikeWheel(join(work, `${stream}`, 'elsewhere', 'clone-two'), stream)
      expect(await sha256(first)).not.toBe(await sha256(second))
      const before = pythonView(first)

      expect(await relativizeSbomPaths(first, join(work, `${stream}`, 'clone-one'))).toEqual([
        'core-0.1.0.dist-info/sboms/core.cyclonedx.json',
      ])
      await relativizeSbomPaths(second, join(work, `${stream}`, 'elsewhere', 'clone-two'))
      expect(await sha256(first)).toBe(await sha256(second))

      const after = pythonView(first)
      expect(after.bad).toBeNull()
      expect(after.names).toEqual(before.names)
      expect(after.methods).toEqual(before.methods)
      expect(after.modes).toEqual(before.modes)
      expect(after.sbom).not.toContain(work)
      expect(JSON.parse(after.sbom).metadata.component['bom-ref']).toBe('path+file://./py#core@0.1.0')
      expect(JSON.parse(after.sbom).dependencies[0].ref).toBe('path+file://./py#core@0.1.0')
      // RECORD matches the rewritten SBOM: the wheel inspector checks every hash
      const wheel = await inspectDistribution(first)
      expect(wheel.version).toBe('0.1.0')
    })
  }

  it('leaves a wheel without absolute paths untouched', async () => {
    const root = join(work, 'untouched')
    const wheel = await maturinLikeWheel(root, false)
    await relativizeSbomPaths(wheel, root)
    const digest = await sha256(wheel)
    expect(await relativizeSbomPaths(wheel, root)).toEqual([])
    expect(await sha256(wheel)).toBe(digest)
  })
})
