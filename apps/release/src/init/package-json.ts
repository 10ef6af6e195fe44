import { invalidManifest } from './manifest-error.ts'

/** A package.json's fields; INIT_MANIFEST_INVALID naming the file when it is not a JSON object. */
export function parsePackageJson(text: string, file: string): Record<string, unknown> {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    return invalidManifest(
      `${file}: not valid JSON (${(cause as Error).message})`,
      'fix the JSON, then run polyship init again',
      cause,
    )
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return invalidManifest(`${file}: not a JSON object`, 'a package.json is a JSON object of fields')
  }
  return json as Record<string, unknown>
}
