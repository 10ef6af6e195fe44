import { homedir } from 'node:os'
import { type Reporter, silentReporter } from '@polyship/core'

/** What attest needs from the outside world; tests pass literals instead of patching globals. */
export interface AttestDeps {
  readonly env: Readonly<Record<string, string | undefined>>
  /** The user's home directory, for `~` in key paths and the default key location. */
  readonly home: string
  readonly now: () => Date
  readonly fetch: typeof globalThis.fetch
  readonly reporter: Reporter
}

export const nodeDeps: AttestDeps = {
  env: process.env,
  home: homedir(),
  now: () => new Date(),
  fetch: (input, init) => globalThis.fetch(input, init),
  reporter: silentReporter,
}

/** `nodeDeps` with some parts replaced. */
export function withDeps(overrides: Partial<AttestDeps>): AttestDeps {
  return { ...nodeDeps, ...overrides }
}
