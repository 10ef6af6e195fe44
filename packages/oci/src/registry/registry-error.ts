import { redact } from '@polyship/core'
import { OciError, type OciErrorCode } from '../errors.ts'
import { type HttpResponse, readText } from './http.ts'

interface RegistryErrorBody {
  readonly errors?: readonly {
    readonly code?: string
    readonly message?: string
    readonly detail?: unknown
  }[]
}

const BY_REGISTRY_CODE: Readonly<Record<string, { code: OciErrorCode; hint: string }>> = {
  MANIFEST_BLOB_UNKNOWN: {
    code: 'OCI_MANIFEST_BLOB_UNKNOWN',
    hint: 'push every blob (config, layers) and child manifest before the manifest that references it',
  },
  BLOB_UNKNOWN: { code: 'OCI_BLOB_UNKNOWN', hint: 'the blob is not in this repository; push it first' },
  MANIFEST_UNKNOWN: {
    code: 'OCI_MANIFEST_UNKNOWN',
    hint: 'check the tag or digest; list tags to see what exists',
  },
  NAME_UNKNOWN: {
    code: 'OCI_NAME_UNKNOWN',
    hint: 'the repository does not exist on this registry (yet); check its name',
  },
  DIGEST_INVALID: {
    code: 'OCI_DIGEST_MISMATCH',
    hint: 'the registry computed another digest for the bytes sent: the content changed after it was digested; rebuild it',
  },
  SIZE_INVALID: {
    code: 'OCI_SIZE_MISMATCH',
    hint: 'the descriptor size does not match the content; rebuild it',
  },
  MANIFEST_INVALID: {
    code: 'OCI_MANIFEST_INVALID',
    hint: 'the registry refused the manifest document; check its media type and fields',
  },
  MANIFEST_UNVERIFIED: { code: 'OCI_MANIFEST_INVALID', hint: 'the registry refused the manifest document' },
  NAME_INVALID: { code: 'OCI_REFERENCE_INVALID', hint: 'the registry refused the repository name' },
  TAG_INVALID: { code: 'OCI_REFERENCE_INVALID', hint: 'the registry refused the tag' },
  BLOB_UPLOAD_INVALID: {
    code: 'OCI_UPLOAD_FAILED',
    hint: 'the upload session broke; pushing again restarts it',
  },
  BLOB_UPLOAD_UNKNOWN: {
    code: 'OCI_UPLOAD_FAILED',
    hint: 'the upload session expired; pushing again restarts it',
  },
  TOOMANYREQUESTS: { code: 'OCI_UNAVAILABLE', hint: 'the registry rate-limits this client; retry later' },
  DENIED: { code: 'OCI_DENIED', hint: 'the credentials lack the rights this needs' },
  UNAUTHORIZED: { code: 'OCI_UNAUTHORIZED', hint: 'log in to the registry' },
  UNSUPPORTED: { code: 'OCI_REGISTRY_ERROR', hint: 'the registry does not support this operation' },
}

/** Turns an unexpected registry answer into a coded error, reading the error body for its code and detail. */
export async function registryError(res: HttpResponse, what: string): Promise<OciError> {
  // The status says what went wrong; a body that stalls, is cut or is too long only loses the detail.
  const text = await readText(res, 16 * 1024).catch((error: unknown) => {
    res.body.destroy()
    return `(body unreadable: ${error instanceof Error ? error.message : String(error)})`
  })
  let first: NonNullable<RegistryErrorBody['errors']>[number] | undefined
  try {
    first = (JSON.parse(text) as RegistryErrorBody).errors?.[0]
  } catch {
    first = undefined
  }
  const known = first?.code === undefined ? undefined : BY_REGISTRY_CODE[first.code]
  const detail = first?.detail === undefined ? '' : ` (${JSON.stringify(first.detail).slice(0, 300)})`
  const said =
    first === undefined ? text.trim().slice(0, 200) : `${first.code}: ${first.message ?? ''}${detail}`
  const code: OciErrorCode =
    known?.code ?? (res.status >= 500 || res.status === 429 ? 'OCI_UNAVAILABLE' : 'OCI_REGISTRY_ERROR')
  // Registries have echoed the request's Authorization header in error bodies.
  const shown = redact(said)
  return new OciError(code, `${what}: registry answered ${res.status}${shown === '' ? '' : ` ${shown}`}`, {
    hint:
      known?.hint ??
      (code === 'OCI_UNAVAILABLE'
        ? 'the registry is failing; retry later'
        : 'see the registry message above'),
  })
}
