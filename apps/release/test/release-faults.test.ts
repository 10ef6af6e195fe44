import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { RegistryClient } from '@polyship/oci'
import { mulberry32, startFaultProxy, startRegistry, type TestRegistry } from '@polyship/oci/testing'
import { type PypiServer, startPypiServer } from '@polyship/wheel/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type RepositoryState,
  registryState,
  treeState,
  withoutSignatureDigests,
} from './destination-state.ts'
import { exampleWorkspace, polyship, polyshipProcess, type TestWorkspace } from './workspace.ts'

/**
 * A release killed with SIGKILL at seeded points of its publish phase, then run again, must
 * end in the state a clean run leaves: the same tags at the same digests, the same
 * attestations, the same files in the index and the assets directory. The kill points come
 * from the test hook POLYSHIP_CRASH_AFTER=n (the release kills itself right before write
 * n+1), so a failing round is reproduced by its number. The builds are done once, by the
 * clean reference run; every round publishes those build units again (`--merge dist/build`)
 * into emptied destinations.
 */

const SEED = 0x5eed_0010
const ROUNDS = 20
const PYPI_TOKEN = 'pypi-fault-test-token'
const PREFIX = 'faults'
const REPOSITORIES = ['time-server-go', 'echo-server-rust', 'fastjson', 'charts/mcp-stack']

let registry: TestRegistry
let pypi: PypiServer
let ws: TestWorkspace
const client = new RegistryClient()
let reference: {
  readonly writes: number
  readonly registry: Record<string, RepositoryState>
  readonly index: Record<string, string>
  readonly assets: Record<string, string>
}

const env = () => ({ ...ws.env, TEST_PYPI_TOKEN: PYPI_TOKEN })
const repositories = (host: string) => REPOSITORIES.map((r) => `${host}/${PREFIX}/${r}`)
const ROUND_DIR = 'dist-round'
const registryNow = async () =>
  withoutSignatureDigests(await registryState(client, repositories(registry.host)))

/** Empties every destination: the registry's repositories under PREFIX, the index, the assets. */
async function emptyDestinations(): Promise<void> {
  await rm(join(registry.storageDir, 'docker', 'registry', 'v2', 'repositories', PREFIX), {
    recursive: true,
    force: true,
  })
  // pypiserver (without watchdog) lists its directory on every request
  for (const file of await readdir(pypi.dir)) await rm(join(pypi.dir, file), { force: true })
  await rm(join(ws.root, ROUND_DIR, 'assets'), { recursive: true, force: true })
}

beforeAll(async () => {
  registry = await startRegistry()
  ws = await exampleWorkspace({
    platforms: { 'time-server-go': ['linux/amd64', 'linux/arm64'], 'echo-server-rust': ['linux/amd64'] },
  })
  pypi = await startPypiServer({
    dir: join(ws.root, '..', 'pypiserver'),
    user: { username: '__token__', password: PYPI_TOKEN },
  })
  const config = (outDir: string) => ({
    repository: 'https://github.com/polyship/polyship',
    bases: { python: 'scratch' },
    outDir,
    destinations: {
      images: { type: 'registry', repository: `${registry.host}/${PREFIX}` },
      charts: { type: 'registry', repository: `${registry.host}/${PREFIX}/charts` },
      wheels: { type: 'pypi', url: pypi.url, tokenEnv: 'TEST_PYPI_TOKEN' },
    },
  })
  // the clean reference run builds every unit once and counts its writes
  await ws.configure(config('dist'))
  const clean = await polyship(['release', '--debug'], { root: ws.root, env: env() })
  expect(clean.code, clean.stderr).toBe(0)
  reference = {
    writes: clean.stderr.split('\n').filter((line) => /^ {2}debug: write \d+: /.test(line)).length,
    registry: await registryNow(),
    index: await treeState(pypi.dir),
    assets: await treeState(join(ws.root, 'dist', 'assets'), { bundles: 'names' }),
  }
  expect(reference.writes).toBeGreaterThan(50)
  await ws.configure(config(ROUND_DIR))
})
afterAll(async () => {
  client.close()
  await pypi?.stop()
  await registry?.stop()
  await ws?.remove()
})

describe('kill -9 during publish, then run again', () => {
  // 2 x ROUNDS release runs: ~190 s on a quiet machine, past the suite's 120 s default.
  it(`ends in a clean run's state after each of ${ROUNDS} seeded kills`, { timeout: 600_000 }, async () => {
    const random = mulberry32(SEED)
    const release = ['release', '--merge', 'dist/build']
    for (let round = 1; round <= ROUNDS; round++) {
      // Odd rounds: the release kills itself between two writes (exact, reproducible). Even
      // rounds: the test kills it ~afterMs into write n, mostly while a request is in flight
      // (n leaves a few writes to go, so the kill lands before the run ends).
      const between = round % 2 === 1
      const write = 1 + Math.floor(random() * (reference.writes - (between ? 1 : 5)))
      const afterMs = Math.floor(random() * 20)
      await emptyDestinations()
      const where = between
        ? `round ${round} (seed ${SEED}): killed itself after write ${write} of ${reference.writes}`
        : `round ${round} (seed ${SEED}): killed ${afterMs} ms into write ${write} of ${reference.writes}`
      const killed = between
        ? await polyshipProcess(release, {
            root: ws.root,
            env: { ...env(), POLYSHIP_CRASH_AFTER: String(write) },
          })
        : await polyshipProcess(
            [...release, '--debug'],
            { root: ws.root, env: env() },
            {
              when: new RegExp(`\\n {2}debug: write ${write}: `),
              afterMs,
            },
          )
      expect(killed.signal, `${where}\n${killed.stderr}`).toBe('SIGKILL')

      const resumed = await polyship(release, { root: ws.root, env: env() })
      expect(resumed.code, `${where}\n${resumed.stderr}`).toBe(0)
      expect(await registryNow(), where).toEqual(reference.registry)
      expect(await treeState(pypi.dir), where).toEqual(reference.index)
      expect(await treeState(join(ws.root, ROUND_DIR, 'assets'), { bundles: 'names' }), where).toEqual(
        reference.assets,
      )
      const verify = await polyship(['verify', `${ROUND_DIR}/release.json`], { root: ws.root, env: env() })
      expect(verify.code, `${where}\n${verify.stdout}${verify.stderr}`).toBe(0)
    }
  })

  it('completes through a proxy that answers 5% of registry requests with 503 and resets 5%', async () => {
    const proxy = await startFaultProxy({ target: registry.url, seed: SEED, reset: 0.05, unavailable: 0.05 })
    try {
      await emptyDestinations()
      const result = await polyshipProcess(
        [...['release', '--merge', 'dist/build'], '--registry', `${proxy.host}/${PREFIX}`],
        {
          root: ws.root,
          env: env(),
        },
      )
      expect(result.code, result.stderr).toBe(0)
      expect(proxy.log.filter((entry) => entry.action !== 'pass').length).toBeGreaterThan(5)
      // images match the clean run's; the chart differs only in naming the proxy's address
      const state = await registryNow()
      for (const repository of repositories(registry.host)) {
        expect(state[repository]!.attestations, repository).toEqual(
          reference.registry[repository]!.attestations,
        )
        if (!repository.endsWith('/charts/mcp-stack'))
          expect(state[repository]!.tags, repository).toEqual(reference.registry[repository]!.tags)
      }
      expect(await treeState(pypi.dir)).toEqual(reference.index)
      const verify = await polyship(['verify', `${ROUND_DIR}/release.json`], { root: ws.root, env: env() })
      expect(verify.code, `${verify.stdout}${verify.stderr}`).toBe(0)
    } finally {
      await proxy.stop()
    }
  })
})
