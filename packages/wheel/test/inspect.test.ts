import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openZip, writeArchive } from '@polyship/core'
import {
  checkPypiPlatformTags,
  inspectDistribution,
  parseCoreMetadata,
  parseDistributionFilename,
  platformOfTag,
  uploadFields,
  WheelError,
} from '@polyship/wheel'
import { writeSyntheticWheel } from '@polyship/wheel/testing'
import { beforeAll, describe, expect, it } from 'vitest'

let work: string

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'polyship-wheel-inspect-'))
})

function python(script: string, ...args: string[]): string {
  return execFileSync('python3', ['-c', script, ...args], { encoding: 'utf8' })
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    if (error instanceof WheelError) return `${error.code}: ${error.message}`
    throw error
  }
  return 'no error'
}

describe('wheel inspection', () => {
  it('reads a wheel written by Python zipfile and checks every RECORD hash', async () => {
    const wheel = join(work, 'demo_pkg-1.2.0-py3-none-any.whl')
    python(
      `
import base64, hashlib, sys, zipfile
files = {
  "demo_pkg/__init__.py": b"x = 1\\n",
  "demo_pkg/big.bin": bytes(range(256)) * 4000,
  "demo_pkg-1.2.0.dist-info/METADATA": b"Metadata-Version: 2.1\\nName: Demo.Pkg\\nVersion: 1.2.0\\nRequires-Python: >=3.8\\nRequires-Dist: attrs>=22\\nRequires-Dist: rich; extra == 'cli'\\nClassifier: A\\nClassifier: B\\n\\nLong text\\n",
  "demo_pkg-1.2.0.dist-info/WHEEL": b"Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
record = "".join(f"{p},sha256={base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b'=').decode()},{len(d)}\\n" for p, d in files.items())
record += "demo_pkg-1.2.0.dist-info/RECORD,,\\n"
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
  for p, d in files.items(): z.writestr(p, d)
  z.writestr("demo_pkg-1.2.0.dist-info/RECORD", record)
`,
      wheel,
    )
    const d = await inspectDistribution(wheel)
    expect({
      ...d,
      metadata: undefined,
      path: undefined,
      digest: undefined,
      size: undefined,
    }).toMatchInlineSnapshot(`
      {
        "digest": undefined,
        "filename": "demo_pkg-1.2.0-py3-none-any.whl",
        "kind": "wheel",
        "metadata": undefined,
        "name": "Demo.Pkg",
        "path": undefined,
        "pythonTag": "py3",
        "size": undefined,
        "tags": [
          "py3-none-any",
        ],
        "version": "1.2.0",
      }
    `)
    expect(d.metadata.requiresDist).toEqual(['attrs>=22', "rich; extra == 'cli'"])
    expect(d.metadata.requiresPython).toBe('>=3.8')
    expect(d.metadata.description).toBe('Long text\n')
    const fromPython = python(
      'import hashlib,sys;print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())',
      wheel,
    ).trim()
    expect(d.digest.slice(7)).toBe(fromPython)
  })

  it('refuses a wheel whose file differs from its RECORD', async () => {
    const dir = join(work, 'tampered')
    await mkdir(dir, { recursive: true })
    const good = await writeSyntheticWheel(dir, { name: 'tampered', version: '1.0.0', size: 1000 })
    await expect(inspectDistribution(good)).resolves.toMatchObject({ name: 'tampered' })
    // same entries, one payload altered after RECORD was written
    const tampered = join(work, 'tampered-1.0.0-py3-none-any.whl')
    python(
      `
import sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
  for info in zin.infolist():
    data = zin.read(info.filename)
    if info.filename.endswith("__init__.py"): data = b"__version__ = 'evil'\\n"
    zout.writestr(info, data)
`,
      good,
      tampered,
    )
    expect(await codeOf(inspectDistribution(tampered))).toMatch(
      /^WHEEL_RECORD_INVALID: .*tampered-1\.0\.0\.dist-info\/RECORD: tampered\/__init__\.py (is \d+ bytes|has sha256=)/,
    )
  })

  it('refuses unlisted files, weak hashes and mismatched names', async () => {
    const dir = join(work, 'bad')
    await mkdir(dir, { recursive: true })
    const entries = (record: string, extra: Record<string, string> = {}) => [
      {
        type: 'file' as const,
        path: 'bad-1.0.dist-info/METADATA',
        content: 'Metadata-Version: 2.1\nName: bad\nVersion: 1.0\n',
      },
      {
        type: 'file' as const,
        path: 'bad-1.0.dist-info/WHEEL',
        content: 'Wheel-Version: 1.0\nTag: py3-none-any\n',
      },
      { type: 'file' as const, path: 'bad-1.0.dist-info/RECORD', content: record },
      ...Object.entries(extra).map(([path, content]) => ({ type: 'file' as const, path, content })),
    ]
    const write = async (name: string, record: string, extra?: Record<string, string>) => {
      const path = join(dir, name)
      await writeArchive(path, entries(record, extra), { format: 'zip', mtime: 0 })
      return path
    }
    const row = (path: string, text: string) =>
      `${path},sha256=${createHash('sha256').update(text).digest('base64url')},${Buffer.byteLength(text)}\n`
    const meta = `${row('bad-1.0.dist-info/METADATA', 'Metadata-Version: 2.1\nName: bad\nVersion: 1.0\n')}${row('bad-1.0.dist-info/WHEEL', 'Wheel-Version: 1.0\nTag: py3-none-any\n')}bad-1.0.dist-info/RECORD,,\n`
    expect(await codeOf(inspectDistribution(await write('bad-1.0-py3-none-any.whl', meta)))).toBe('no error')
    expect(
      await codeOf(inspectDistribution(await write('bad-1.0-py3-none-any.whl', meta, { 'bad/x.py': 'x' }))),
    ).toMatch(/WHEEL_RECORD_INVALID: .*bad\/x\.py is in the wheel but not in RECORD/)
    expect(
      await codeOf(
        inspectDistribution(
          await write('bad-1.0-py3-none-any.whl', `${meta}bad/x.py,md5=abc,1\n`, { 'bad/x.py': 'x' }),
        ),
      ),
    ).toMatch(/WHEEL_RECORD_INVALID: .*hash algorithm md5 is too weak/)
    expect(
      await codeOf(
        inspectDistribution(await write('bad-1.0-py3-none-any.whl', `${meta}bad/gone.py,sha256=abc,1\n`)),
      ),
    ).toMatch(/WHEEL_RECORD_INVALID: .*lists files the wheel does not contain: bad\/gone\.py/)
    expect(await codeOf(inspectDistribution(await write('other-1.0-py3-none-any.whl', meta)))).toMatch(
      /WHEEL_ARCHIVE_INVALID: .*the file name says other but the metadata names bad/,
    )
    expect(
      await codeOf(inspectDistribution(await write('bad-1.0-cp311-cp311-linux_x86_64.whl', meta))),
    ).toMatch(
      /WHEEL_ARCHIVE_INVALID: .*carries tags cp311-cp311-linux_x86_64 but .*WHEEL declares py3-none-any/,
    )
    const notZip = join(dir, 'bad-1.0-py3-none-any.whl')
    await writeFile(notZip, 'not a zip')
    expect(await codeOf(inspectDistribution(notZip))).toMatch(
      /WHEEL_ARCHIVE_INVALID: .*no end of central directory/,
    )

    const good = await write('bad-1.0-py3-none-any.whl', meta)
    const bytes = await readFile(good)
    await using zip = await openZip(good)
    const metadata = zip.find('bad-1.0.dist-info/METADATA')!
    // flip a byte of METADATA's deflated data: inflate fails or its CRC does not match
    bytes[metadata.offset + 30 + metadata.name.length + 2]! ^= 0xff
    await writeFile(good, bytes)
    expect(await codeOf(inspectDistribution(good))).toMatch(/WHEEL_ARCHIVE_INVALID: .*METADATA/)
  })

  it('reads an sdist PKG-INFO through ustar, GNU and pax long names', async () => {
    const sdist = join(work, 'long_sdist-2.0.0rc1.tar.gz')
    python(
      `
import io, sys, tarfile
pkg = b"Metadata-Version: 2.2\\nName: long-sdist\\nVersion: 2.0.0rc1\\nSummary: s\\n\\nbody\\n"
with tarfile.open(sys.argv[1], "w:gz", format=tarfile.PAX_FORMAT) as t:
  for name, data in [("long_sdist-2.0.0rc1/" + "d" * 120 + "/f.py", b"x"), ("long_sdist-2.0.0rc1/PKG-INFO", pkg)]:
    info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
`,
      sdist,
    )
    const d = await inspectDistribution(sdist)
    expect([d.kind, d.name, d.version, d.pythonTag, d.metadata.summary]).toEqual([
      'sdist',
      'long-sdist',
      '2.0.0rc1',
      'source',
      's',
    ])
  })
})

describe('names, versions, tags', () => {
  it('parses file names with compressed tag sets', () => {
    const w = parseDistributionFilename(
      'fastjson-0.1.0-cp39-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl',
    )
    expect(w.kind === 'wheel' && w.tags.map((t) => t.platform)).toEqual([
      'manylinux2014_x86_64',
      'manylinux_2_17_x86_64',
    ])
    expect(parseDistributionFilename('fastjson-0.1.0.tar.gz')).toMatchObject({
      kind: 'sdist',
      version: '0.1.0',
    })
    expect(() => parseDistributionFilename('fastjson.zip')).toThrow(/neither a wheel nor an sdist/)
  })

  it('knows which platform tags PyPI refuses', async () => {
    const wheel = await writeSyntheticWheel(work, {
      name: 'native',
      version: '1.0.0',
      tag: 'cp311-cp311-linux_x86_64',
    })
    const d = await inspectDistribution(wheel)
    expect(() => checkPypiPlatformTags(d, 'https://upload.pypi.org/legacy/')).toThrow(
      /refuses the platform tag linux_x86_64/,
    )
    expect(platformOfTag('manylinux_2_17_aarch64')).toEqual({ os: 'linux', architecture: 'arm64' })
    expect(platformOfTag('manylinux2014_x86_64')).toEqual({ os: 'linux', architecture: 'amd64' })
    expect(platformOfTag('any')).toBeUndefined()
  })

  it('turns core metadata into the upload form twine would send', async () => {
    const metadata = parseCoreMetadata(
      'Metadata-Version: 2.4\nName: Fast_JSON\nVersion: 1.0\nClassifier: A\nClassifier: B\nProject-URL: Home, https://x\nLicense-Expression: MIT\n\nbody\n',
    )
    expect(metadata).toMatchObject({
      name: 'Fast_JSON',
      licenseExpression: 'MIT',
      description: 'body\n',
      headers: expect.arrayContaining([
        ['Classifier', 'A'],
        ['Classifier', 'B'],
      ]),
    })
    const wheel = await writeSyntheticWheel(work, {
      name: 'Fast_JSON',
      version: '1.0',
      metadata: ['Classifier: A', 'Project-URL: Home, https://x'],
    })
    const fields = uploadFields(await inspectDistribution(wheel))
    expect(fields.filter(([k]) => !k.endsWith('_digest'))).toMatchInlineSnapshot(`
      [
        [
          "metadata_version",
          "2.4",
        ],
        [
          "version",
          "1.0",
        ],
        [
          "summary",
          "a synthetic wheel",
        ],
        [
          "description_content_type",
          "text/markdown",
        ],
        [
          "classifiers",
          "A",
        ],
        [
          "project_urls",
          "Home, https://x",
        ],
        [
          "description",
          "# Fast_JSON
      ",
        ],
        [
          "name",
          "Fast-JSON",
        ],
        [
          ":action",
          "file_upload",
        ],
        [
          "protocol_version",
          "1",
        ],
        [
          "filetype",
          "bdist_wheel",
        ],
        [
          "pyversion",
          "py3",
        ],
      ]
    `)
    expect(parseCoreMetadata('Name: x\n')).toEqual({ missing: ['Metadata-Version', 'Version'] })
  })
})
