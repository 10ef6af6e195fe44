import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import type { Distribution } from '../inspect/distribution.ts'

/**
 * Core metadata headers -> legacy upload form fields, as twine sends them
 * (warehouse's forklift reads the same names). Multi-use headers repeat the field.
 */
const FIELDS: Readonly<Record<string, string>> = {
  'metadata-version': 'metadata_version',
  name: 'name',
  version: 'version',
  platform: 'platform',
  'supported-platform': 'supported_platform',
  summary: 'summary',
  keywords: 'keywords',
  'home-page': 'home_page',
  'download-url': 'download_url',
  author: 'author',
  'author-email': 'author_email',
  maintainer: 'maintainer',
  'maintainer-email': 'maintainer_email',
  license: 'license',
  'license-expression': 'license_expression',
  'license-file': 'license_file',
  classifier: 'classifiers',
  requires: 'requires',
  provides: 'provides',
  obsoletes: 'obsoletes',
  'requires-dist': 'requires_dist',
  'provides-dist': 'provides_dist',
  'obsoletes-dist': 'obsoletes_dist',
  'requires-python': 'requires_python',
  'requires-external': 'requires_external',
  'project-url': 'project_urls',
  'description-content-type': 'description_content_type',
  'provides-extra': 'provides_extra',
  dynamic: 'dynamic',
}

/** The upload form's fields for a distribution, without the file. */
export function uploadFields(distribution: Distribution): [name: string, value: string][] {
  const fields: [string, string][] = []
  for (const [header, value] of distribution.metadata.headers) {
    const field = FIELDS[header.toLowerCase()]
    if (field !== undefined && field !== 'name') fields.push([field, value])
  }
  if (distribution.metadata.description !== undefined)
    fields.push(['description', distribution.metadata.description])
  fields.push(
    // warehouse compares names after PEP 503 normalization; twine sends this "safe" form
    ['name', distribution.name.replace(/[^A-Za-z0-9.]+/g, '-')],
    [':action', 'file_upload'],
    ['protocol_version', '1'],
    ['filetype', distribution.kind === 'wheel' ? 'bdist_wheel' : 'sdist'],
    ['pyversion', distribution.pythonTag],
    ['sha256_digest', distribution.digest.slice('sha256:'.length)],
  )
  return fields
}

/** A multipart/form-data body whose length is known before it is produced. */
export interface UploadBody {
  readonly contentType: string
  readonly length: number
  /** A fresh stream of the body (one per attempt). */
  stream(): ReadableStream<Uint8Array>
}

/**
 * The legacy upload body: metadata fields (with `sha256_digest`, the one digest PyPI and
 * pypiserver need), then `extra` fields (`attestations`: PEP 740, a JSON array, as twine
 * sends it), then the file streamed from disk, so memory stays flat whatever the
 * file's size and the file is read once per attempt.
 */
export function uploadBody(
  distribution: Distribution,
  extra: readonly (readonly [name: string, value: string])[] = [],
): UploadBody {
  const boundary = `polyship-${randomBytes(16).toString('hex')}`
  const part = (name: string, value: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`
  const head = Buffer.from(
    [...uploadFields(distribution), ...extra].map(([name, value]) => part(name, value)).join('') +
      `--${boundary}\r\nContent-Disposition: form-data; name="content"; filename="${distribution.filename}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  )
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
  const length = head.length + distribution.size + tail.length
  async function* chunks(): AsyncGenerator<Uint8Array> {
    yield head
    let size = 0
    for await (const chunk of createReadStream(distribution.path, { highWaterMark: 1 << 20 })) {
      size += (chunk as Buffer).length
      yield chunk as Buffer
    }
    // the declared Content-Length must hold: a file changed since it was inspected is a bug upstream
    if (size !== distribution.size) throw new Error(`${distribution.path} changed size while being uploaded`)
    yield tail
  }
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    length,
    stream() {
      const iterator = chunks()
      return new ReadableStream({
        async pull(controller) {
          const next = await iterator.next()
          if (next.done) controller.close()
          else controller.enqueue(next.value)
        },
        async cancel() {
          await iterator.return(undefined)
        },
      })
    },
  }
}
