import { McpError, McpRegistryClient, renderServerJson, serverDigest } from '@polyship/mcp'
import { startFakeMcpRegistry } from '@polyship/mcp/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const rendered = renderServerJson({
  config: { name: 'io.github.acme/echo', description: 'Echoes' },
  version: '0.1.0',
  packages: [{ registryType: 'npm', name: 'echo', version: '0.1.0', sha256: 'c'.repeat(64) }],
})

describe('McpRegistryClient against a fake MCP registry on loopback', () => {
  let registry: Awaited<ReturnType<typeof startFakeMcpRegistry>>
  beforeAll(async () => {
    registry = await startFakeMcpRegistry()
  })
  afterAll(() => registry.close())

  it('publishes with the Bearer token and reads the same version back', async () => {
    const client = new McpRegistryClient({ url: registry.url, token: registry.token })
    expect(await client.held('io.github.acme/echo', '0.1.0')).toBeUndefined()
    await client.publish(rendered.bytes, 'io.github.acme/echo')
    expect(registry.publishes.at(-1)?.authorization).toBe(`Bearer ${registry.token}`)
    const held = await client.held('io.github.acme/echo', '0.1.0')
    expect(held?.digest).toBe(serverDigest(rendered.value))
    expect(held?.location).toBe(`${registry.url}/v0/servers/io.github.acme%2Fecho/versions/0.1.0`)
  })

  it('says why the registry refused a duplicate version, without the token', async () => {
    const client = new McpRegistryClient({ url: registry.url, token: registry.token })
    const error = await client.publish(rendered.bytes, 'io.github.acme/echo').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(McpError)
    expect((error as McpError).code).toBe('MCP_PUBLISH_REJECTED')
    expect((error as McpError).message).toContain('duplicate version')
    expect((error as McpError).message).not.toContain(registry.token)
  })

  it('a wrong token is MCP_REGISTRY_UNAUTHORIZED, no token refuses before any request', async () => {
    const wrong = new McpRegistryClient({ url: registry.url, token: 'not-the-token-at-all' })
    await expect(wrong.publish(rendered.bytes, 'x')).rejects.toMatchObject({
      code: 'MCP_REGISTRY_UNAUTHORIZED',
    })
    const before = registry.publishes.length
    const none = new McpRegistryClient({ url: registry.url })
    await expect(none.publish(rendered.bytes, 'x')).rejects.toMatchObject({
      code: 'MCP_REGISTRY_UNAUTHORIZED',
    })
    expect(registry.publishes.length).toBe(before)
  })

  it('refuses to send a token over plain http to a host that is not loopback', () => {
    expect(
      () => new McpRegistryClient({ url: 'http://registry.example', token: 'secret-token-value' }),
    ).toThrow(expect.objectContaining({ code: 'MCP_INSECURE_REFUSED' }))
  })

  it('an unreachable registry is MCP_REGISTRY_UNREACHABLE', async () => {
    const closed = await startFakeMcpRegistry()
    await closed.close()
    const client = new McpRegistryClient({ url: closed.url })
    await expect(client.held('a/b', '1.0.0')).rejects.toMatchObject({ code: 'MCP_REGISTRY_UNREACHABLE' })
  })
})
