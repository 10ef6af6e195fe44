import type { BinaryConfig } from '@polyship/core'

/** One Nx input: a file set, an environment variable, or a command whose output is hashed. */
export type NxInput = string | { readonly env: string } | { readonly runtime: string }

/**
 * The inputs a binary build target depends on, for the Nx plugin: the project's sources
 * (tests and build outputs left out), the toolchain version, and the environment
 * variables that change the bytes. Nx skips gitignored files on its own.
 */
export function binaryTargetInputs(config: BinaryConfig): NxInput[] {
  const common: NxInput[] = ['{projectRoot}/package.json', { env: 'SOURCE_DATE_EPOCH' }]
  switch (config.toolchain) {
    case 'go':
      return [
        '{projectRoot}/**/*',
        '!{projectRoot}/**/*_test.go',
        '!{projectRoot}/dist/**',
        ...common,
        { runtime: 'go env GOVERSION' },
        { env: 'GOFLAGS' },
        { env: 'GOAMD64' },
        { env: 'GOARM64' },
      ]
    case 'rust':
      return [
        '{projectRoot}/**/*',
        '!{projectRoot}/tests/**',
        '!{projectRoot}/benches/**',
        '!{projectRoot}/target/**',
        ...common,
        { runtime: 'rustc -vV' },
        { env: 'RUSTFLAGS' },
        { env: 'CARGO_ENCODED_RUSTFLAGS' },
      ]
  }
}
