import type { Artifact } from './artifact.ts'

/**
 * What library code reports while it works. Packages emit, only the CLI renders
 * (listr2, plain lines, or --json).
 */
export type PolyshipEvent =
  | {
      readonly type: 'step'
      readonly project: string
      readonly step: string
      readonly status: 'start' | 'done'
    }
  | { readonly type: 'artifact'; readonly artifact: Artifact }
  | { readonly type: 'skipped'; readonly project: string; readonly what: string; readonly reason: string }
  | { readonly type: 'log'; readonly level: 'debug' | 'info' | 'warn'; readonly message: string }

export interface Reporter {
  emit(event: PolyshipEvent): void
}

/** Drops every event; the default where nobody listens. */
export const silentReporter: Reporter = { emit() {} }

/** Keeps every event in memory, for tests and for --json output. */
export function collectingReporter(): Reporter & { readonly events: PolyshipEvent[] } {
  const events: PolyshipEvent[] = []
  return { events, emit: (event) => void events.push(event) }
}
