import { openAsBlob } from 'node:fs'
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

/** The upload form's fields for a distribution, without the file itself. */
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
    ['blake2_256_digest', distribution.blake2b256],
  )
  return fields
}

/** The multipart body of a legacy upload: metadata fields, then the file, streamed from disk. */
export async function uploadForm(distribution: Distribution): Promise<FormData> {
  const form = new FormData()
  for (const [name, value] of uploadFields(distribution)) form.append(name, value)
  const blob = await openAsBlob(distribution.path, { type: 'application/octet-stream' })
  form.append('content', blob, distribution.filename)
  return form
}
