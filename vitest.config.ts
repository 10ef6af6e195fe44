import { existsSync, readdirSync } from 'node:fs'
import { defineConfig } from 'vitest/config'

/**
 * One vitest run for the whole repo. Every package and app is a project named after its
 * folder, so `vitest run --project core` runs one package (each package's `test` target).
 */
const projectRoots = ['packages', 'apps'].flatMap((dir) =>
  readdirSync(dir)
    .map((name) => `${dir}/${name}`)
    .filter((root) => existsSync(`${root}/package.json`)),
)

export default defineConfig({
  test: {
    projects: projectRoots.map((root) => ({
      extends: true,
      test: { name: root.split('/').pop() ?? root, root },
    })),
    include: ['test/**/*.test.ts'],
    // Starts one loopback docker-registry for the whole run; tests read its address with
    // `inject('ociRegistry')` -> { host: '127.0.0.1:<port>', url } (see @polyship/oci/testing).
    // And one loopback Verdaccio: `inject('npmRegistry')` -> { url, token, user } (see @polyship/npm/testing).
    globalSetup: ['packages/oci/src/testing/global-setup.ts', 'packages/npm/src/testing/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    reporters: ['default', './tools/summary-reporter.ts'],
  },
})
