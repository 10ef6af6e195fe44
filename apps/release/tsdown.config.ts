import { defineConfig } from 'tsdown'

/**
 * What `polyship` publishes: the CLI, the programmatic API and the Nx plugin, with every
 * @polyship/* workspace package bundled in (they are private) and every npm dependency left
 * external (listed in this package.json). Commands stay separate chunks, so a command loads
 * only what it uses. `onlyBundle: []` fails the build if an npm package would be inlined,
 * which is how a dependency missing from package.json shows up.
 */
export default defineConfig({
  entry: {
    bin: 'src/bin.ts',
    index: 'src/index.ts',
    'nx/plugin': 'src/nx/plugin.ts',
    'nx/init': 'src/nx/init.ts',
  },
  format: 'esm',
  platform: 'node',
  target: 'node24',
  outDir: 'dist',
  clean: true,
  dts: { tsconfig: 'tsconfig.build.json', tsc: { eager: true } },
  fixedExtension: false,
  deps: { onlyBundle: [], dts: { neverBundle: true, alwaysBundle: [/^@polyship\//] } },
})
