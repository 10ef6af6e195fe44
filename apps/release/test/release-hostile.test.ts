import { type HostileServer, startHostileServer } from '@polyship/oci/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { exampleWorkspace, polyship, type TestWorkspace } from './workspace.ts'

/**
 * `polyship release` against registries that accept connections and never answer: the
 * release fails within the configured limits (POLYSHIP_HTTP_*) with NET_TIMEOUT naming the
 * host, says it is waiting meanwhile, and never ends in a stack trace (exit 70).
 */

const SCOPE = `@hostile${process.pid}`
/** Limits that make a hanging server fail the release in about a second. */
const LIMITS = {
  POLYSHIP_HTTP_IDLE_TIMEOUT: '300ms',
  POLYSHIP_HTTP_DEADLINE: '2s',
  POLYSHIP_HTTP_RETRY_TIME: '1s',
  POLYSHIP_HTTP_NOTICE: '100ms',
}

let ws: TestWorkspace
let server: HostileServer | undefined

beforeAll(async () => {
  ws = await exampleWorkspace({
    projects: [],
    globs: ['packages/*', 'charts/*'],
    files: {
      'packages/lib/package.json': `${JSON.stringify({ name: `${SCOPE}/lib`, version: '1.0.0', license: 'MIT', polyship: { npm: {} } }, null, 2)}\n`,
      'packages/lib/index.js': 'module.exports = "lib"\n',
      'charts/hostile-chart/package.json': `${JSON.stringify({ name: 'hostile-chart', version: '1.0.0', private: true, polyship: { chart: {} } }, null, 2)}\n`,
      'charts/hostile-chart/Chart.yaml': 'apiVersion: v2\nname: hostile-chart\nversion: 1.0.0\n',
      'charts/hostile-chart/templates/config.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n',
    },
  })
})
afterAll(() => ws?.remove())
afterEach(async () => {
  await server?.stop()
  server = undefined
})

describe('release against a hanging registry', () => {
  it('fails within the configured limits with NET_TIMEOUT naming the host, not a hang or a crash', async () => {
    server = await startHostileServer({ mode: 'hang' })
    await ws.configure({ destinations: { npm: { type: 'registry', url: `${server.url}/` } } })
    const result = await polyship(['release'], { root: ws.root, env: { ...ws.env, ...LIMITS } })
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toMatch(
      new RegExp(
        `error NET_TIMEOUT: .*${server.host.replace('.', '\\.')} accepted the connection but sent no answer for 300 ms \\(idle timeout\\)`,
      ),
    )
    expect(result.stderr).toContain('POLYSHIP_HTTP_IDLE_TIMEOUT sets this limit')
    expect(result.stderr).toContain(`warn: waiting for ${server.host}: no byte for`)
    expect(result.stderr).not.toContain('this is a bug in polyship')
    expect(server.log.length).toBeGreaterThan(0)
    // packing takes a few seconds; the network part is bounded by the retry time plus one idle timeout
  })

  it('an OCI registry that accepts and never answers: NET_TIMEOUT naming it, within the limits', async () => {
    server = await startHostileServer({ mode: 'hang' })
    await ws.configure({
      destinations: {
        npm: { type: 'directory', path: 'dist/npm' },
        charts: { type: 'registry', repository: `${server.host}/charts` },
      },
    })
    const result = await polyship(['release'], { root: ws.root, env: { ...ws.env, ...LIMITS } })
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toMatch(
      new RegExp(
        `error NET_TIMEOUT: contact registry ${server.host.replace('.', '\\.')}: .*idle timeout.*gave up after`,
      ),
    )
    expect(result.stderr).toContain(`warn: waiting for ${server.host}`)
    expect(result.stderr).not.toContain('this is a bug in polyship')
  })

  it('a registry that answers a byte every 100 ms is stopped by the deadline', async () => {
    server = await startHostileServer({ mode: 'drip', dripIntervalMs: 100 })
    await ws.configure({ destinations: { npm: { type: 'registry', url: `${server.url}/` } } })
    const result = await polyship(['release'], { root: ws.root, env: { ...ws.env, ...LIMITS } })
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toMatch(/error NET_TIMEOUT: .* did not finish answering within 2 s \(deadline/)
    expect(result.stderr).toContain(server.host)
    expect(result.stderr).not.toContain('this is a bug in polyship')
  })
})
