import { McpError, renderServerJson, SERVER_SCHEMA_URL, validateServerJson } from '@polyship/mcp'
import { describe, expect, it } from 'vitest'

const config = { name: 'io.github.acme/time-server', description: 'Tells the time in any zone' }
const sha = 'a'.repeat(64)
const imageDigest = `sha256:${'b'.repeat(64)}`

describe('renderServerJson', () => {
  it('lists every released package with the transport, in a fixed order, and archives under _meta', () => {
    const rendered = renderServerJson({
      config: { ...config, environmentVariables: [{ name: 'TZ', isRequired: false }] },
      version: '1.2.0',
      repository: 'https://github.com/acme/servers.git',
      packages: [
        { registryType: 'oci', reference: `ghcr.io/acme/time-server:1.2.0@${imageDigest}` },
        { registryType: 'pypi', name: 'time-server', version: '1.2.0', registryBaseUrl: 'https://pypi.org' },
        { registryType: 'npm', name: '@acme/time-server', version: '1.2.0', sha256: sha },
      ],
      archives: [{ name: 'time-server_1.2.0_linux_amd64.tar.gz', sha256: sha, platform: 'linux/amd64' }],
    })
    expect(rendered.value).toMatchInlineSnapshot(`
      {
        "$schema": "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json",
        "_meta": {
          "io.modelcontextprotocol.registry/publisher-provided": {
            "archives": [
              {
                "name": "time-server_1.2.0_linux_amd64.tar.gz",
                "platform": "linux/amd64",
                "sha256": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
              },
            ],
            "tool": "polyship",
          },
        },
        "description": "Tells the time in any zone",
        "name": "io.github.acme/time-server",
        "packages": [
          {
            "environmentVariables": [
              {
                "isRequired": false,
                "name": "TZ",
              },
            ],
            "fileSha256": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "identifier": "@acme/time-server",
            "registryType": "npm",
            "runtimeHint": "npx",
            "transport": {
              "type": "stdio",
            },
            "version": "1.2.0",
          },
          {
            "environmentVariables": [
              {
                "isRequired": false,
                "name": "TZ",
              },
            ],
            "identifier": "time-server",
            "registryBaseUrl": "https://pypi.org",
            "registryType": "pypi",
            "runtimeHint": "uvx",
            "transport": {
              "type": "stdio",
            },
            "version": "1.2.0",
          },
          {
            "environmentVariables": [
              {
                "isRequired": false,
                "name": "TZ",
              },
            ],
            "identifier": "ghcr.io/acme/time-server:1.2.0@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
            "registryType": "oci",
            "runtimeHint": "docker",
            "transport": {
              "type": "stdio",
            },
          },
        ],
        "repository": {
          "source": "github",
          "url": "https://github.com/acme/servers",
        },
        "version": "1.2.0",
      }
    `)
    expect(rendered.value.$schema).toBe(SERVER_SCHEMA_URL)
    expect(() => validateServerJson(rendered.value, '@acme/time-server')).not.toThrow()
  })

  it('renders the same bytes for the same release', () => {
    const input = {
      config,
      version: '1.0.0',
      packages: [{ registryType: 'npm' as const, name: 'x', version: '1.0.0', sha256: sha }],
    }
    expect(renderServerJson(input).digest).toBe(renderServerJson(input).digest)
    expect(new TextDecoder().decode(renderServerJson(input).bytes).endsWith('}\n')).toBe(true)
  })
})

describe('validateServerJson', () => {
  const invalid = (overrides: Record<string, unknown>) => {
    const { value } = renderServerJson({ config, version: '1.0.0', packages: [] })
    try {
      validateServerJson({ ...value, ...overrides }, '@acme/time-server')
    } catch (error) {
      return error as McpError
    }
    throw new Error('expected MCP_SERVER_JSON_INVALID')
  }

  it('refuses a description past 100 characters, naming the project and the field', () => {
    const error = invalid({ description: 'x'.repeat(101) })
    expect(error).toBeInstanceOf(McpError)
    expect(error.code).toBe('MCP_SERVER_JSON_INVALID')
    expect(error.message).toContain('@acme/time-server')
    expect(error.message).toContain('description must NOT have more than 100 characters')
  })

  it('refuses a name without exactly one slash', () => {
    const error = invalid({ name: 'time-server' })
    expect(error.code).toBe('MCP_SERVER_JSON_INVALID')
    expect(error.message).toMatch(/name must match pattern/)
  })

  it('refuses a package without its transport and a "latest" version', () => {
    const error = invalid({ packages: [{ registryType: 'npm', identifier: 'x', version: 'latest' }] })
    expect(error.message).toContain('missing field packages[0].transport')
    expect(error.message).toContain('packages[0].version must NOT be valid')
  })

  it('refuses an http transport whose URL is not http(s)', () => {
    const { value } = renderServerJson({
      config: { ...config, transport: { type: 'streamable-http', url: 'ftp://localhost/mcp' } },
      version: '1.0.0',
      packages: [{ registryType: 'pypi', name: 'x', version: '1.0.0' }],
    })
    expect(() => validateServerJson(value, 'x')).toThrow(/packages\[0\]\.transport/)
  })
})
