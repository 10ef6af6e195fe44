import { formatReference, OciError, parseReference, versionTag } from '@polyship/oci'
import { describe, expect, it } from 'vitest'

function failure(text: string): OciError {
  try {
    parseReference(text, 'polyship.json destinations.images.repository')
  } catch (error) {
    if (error instanceof OciError) return error
    throw error
  }
  throw new Error(`${text} parsed`)
}

describe('parseReference', () => {
  it.each([
    ['nginx', 'docker.io/library/nginx'],
    ['nginx:1.27', 'docker.io/library/nginx:1.27'],
    ['index.docker.io/acme/app:v1', 'docker.io/acme/app:v1'],
    ['ghcr.io/acme/server:1.2.0', 'ghcr.io/acme/server:1.2.0'],
    ['localhost:5000/app', 'localhost:5000/app'],
    ['localhost/app:latest', 'localhost/app:latest'],
    ['127.0.0.1:5000/a/b/c:t_1.2-x', '127.0.0.1:5000/a/b/c:t_1.2-x'],
    ['[::1]:5000/app:1', '[::1]:5000/app:1'],
    ['registry.example.com:443/team/app__x/y-z.w', 'registry.example.com:443/team/app__x/y-z.w'],
    [
      'ghcr.io/acme/app:1@sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
      'ghcr.io/acme/app:1@sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
    ],
  ])('%s -> %s and back', (text, canonical) => {
    const ref = parseReference(text)
    expect(formatReference(ref)).toBe(canonical)
    expect(parseReference(formatReference(ref))).toEqual(ref)
  })

  it('splits registry, repository, tag and digest', () => {
    expect(parseReference(`localhost:5000/acme/app:1.0@sha256:${'a'.repeat(64)}`)).toEqual({
      registry: 'localhost:5000',
      repository: 'acme/app',
      tag: '1.0',
      digest: `sha256:${'a'.repeat(64)}`,
    })
  })

  it('refuses malformed references with a coded error naming the field and a hint', () => {
    const cases = {
      empty: failure(''),
      space: failure('ghcr.io/acme/app :1'),
      uppercase: failure('ghcr.io/Acme/App:1'),
      plus: failure('ghcr.io/acme/app:1.0.0+build.5'),
      digest: failure('ghcr.io/acme/app@sha256:abc'),
      md5: failure(`ghcr.io/acme/app@md5:${'a'.repeat(32)}`),
      component: failure('ghcr.io/acme/-app'),
      doubleSlash: failure('ghcr.io/acme//app'),
      tagStart: failure('ghcr.io/acme/app:.hidden'),
      longTag: failure(`ghcr.io/acme/app:${'t'.repeat(129)}`),
    }
    for (const error of Object.values(cases)) {
      expect(error.code).toBe('OCI_REFERENCE_INVALID')
      expect(error.message).toContain('polyship.json destinations.images.repository')
      expect(error.hint).toBeTruthy()
    }
    expect(cases.uppercase.message).toContain('must be lowercase')
    expect(cases.uppercase.hint).toContain('"acme/app"')
    expect(cases.plus.hint).toContain('1.0.0_build.5')
    expect(cases.digest.message).toContain('not a sha256 digest')
  })

  it('maps SemVer build metadata to a valid tag, as Helm does', () => {
    expect(versionTag('1.2.3+build.7')).toBe('1.2.3_build.7')
    expect(() => versionTag('1.2.3 beta')).toThrowError(OciError)
  })
})
