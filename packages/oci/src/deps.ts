import { homedir } from 'node:os'
import { setTimeout as delay } from 'node:timers/promises'
import { type Reporter, silentReporter } from '@polyship/core'

/** Ambient things the registry client uses, passed in so tests give literals instead of patching globals. */
export interface OciDeps {
  /** Read for DOCKER_CONFIG, REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR, XDG_CONFIG_HOME, HELM_REGISTRY_CONFIG, HELM_CONFIG_HOME, GITHUB_TOKEN and PATH (credential helpers). */
  readonly env: Readonly<Record<string, string | undefined>>
  readonly homedir: () => string
  readonly sleep: (ms: number) => Promise<void>
  /** In [0, 1): backoff jitter. */
  readonly random: () => number
  readonly now: () => number
  /** Receives `log` debug events, one per HTTP exchange (method, URL without query, status). */
  readonly reporter: Reporter
}

export const nodeDeps: OciDeps = {
  env: process.env,
  homedir,
  sleep: (ms) => delay(ms),
  random: Math.random,
  now: Date.now,
  reporter: silentReporter,
}
