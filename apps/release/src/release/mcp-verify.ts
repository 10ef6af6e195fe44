import { readFile } from 'node:fs/promises'
import type { ArtifactCheck, CheckResult } from '@polyship/attest'
import { digestHex, isPolyshipError, type RecordedArtifact, type ReleaseRecord } from '@polyship/core'
import { PUBLISHER_META, type ServerJson, validateServerJson } from '@polyship/mcp'

const failed = (artifact: string, code: string, reason: string): CheckResult => ({
  artifact,
  check: 'content',
  status: 'failed',
  code,
  reason,
})

/** What a server.json says of its packages that the record does not, one line each. */
export function serverJsonMismatches(
  server: ServerJson,
  artifact: Pick<RecordedArtifact, 'project' | 'version'>,
  record: Pick<ReleaseRecord, 'artifacts'>,
): string[] {
  const own = record.artifacts.filter((a) => a.project === artifact.project && a.version === artifact.version)
  const wrong: string[] = []
  for (const entry of server.packages ?? []) {
    switch (entry.registryType) {
      case 'npm': {
        const held = own.find((a) => a.kind === 'npm')
        if (held === undefined || entry.fileSha256 !== digestHex(held.digest))
          wrong.push(
            `npm ${entry.identifier} has sha256 ${entry.fileSha256 ?? '(none)'}, the record ${held ? digestHex(held.digest) : 'no npm package'}`,
          )
        break
      }
      case 'oci': {
        const held = own.find((a) => a.kind === 'image-index')
        const digest = /@(sha256:[a-f0-9]{64})$/.exec(entry.identifier)?.[1]
        if (held === undefined || digest !== held.digest)
          wrong.push(
            `image ${entry.identifier} is not the recorded ${held?.digest ?? 'image (none recorded)'}`,
          )
        break
      }
      case 'pypi': {
        if (!own.some((a) => a.kind === 'wheel' || a.kind === 'sdist'))
          wrong.push(`pypi ${entry.identifier} ${entry.version ?? ''}: the record has no wheel or sdist`)
        break
      }
    }
  }
  for (const archive of server._meta?.[PUBLISHER_META]?.archives ?? []) {
    const held = own.find((a) => a.kind === 'archive' && a.name === archive.name)
    if (held === undefined || archive.sha256 !== digestHex(held.digest))
      wrong.push(
        `archive ${archive.name} has sha256 ${archive.sha256}, the record ${held ? digestHex(held.digest) : 'none'}`,
      )
  }
  return wrong
}

/**
 * `polyship verify` of a server.json: valid against the pinned schema, and every package it
 * lists (npm tarball sha256, image digest, archive sha256) the one the record holds.
 */
export function serverJsonCheck(record: Pick<ReleaseRecord, 'artifacts'>): ArtifactCheck {
  return async (artifact, location, name) => {
    if (artifact.kind !== 'mcp-server' || location.kind !== 'file') return []
    let server: ServerJson
    try {
      server = JSON.parse(await readFile(location.path, 'utf8')) as ServerJson
      validateServerJson(server, artifact.project)
    } catch (error) {
      if (error instanceof SyntaxError)
        return [failed(name, 'MCP_SERVER_JSON_INVALID', `not JSON: ${error.message}`)]
      if (isPolyshipError(error)) return [failed(name, error.code, error.message)]
      throw error
    }
    const wrong = serverJsonMismatches(server, artifact, record)
    if (wrong.length > 0) return [failed(name, 'ATTEST_DIGEST_MISMATCH', wrong.join('; '))]
    const listed = (server.packages?.length ?? 0) + (server._meta?.[PUBLISHER_META]?.archives.length ?? 0)
    return [{ artifact: name, check: 'content', status: 'passed', detail: `${listed} packages, as recorded` }]
  }
}

/** Both checks, in order: `first`'s rows, then the server.json's. */
export function withServerJsonCheck(
  first: ArtifactCheck,
  record: Pick<ReleaseRecord, 'artifacts'>,
): ArtifactCheck {
  const second = serverJsonCheck(record)
  return async (artifact, location, name) => [
    ...(await first(artifact, location, name)),
    ...(await second(artifact, location, name)),
  ]
}
