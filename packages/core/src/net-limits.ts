import { CoreError } from './errors.ts'

/**
 * How long and how much polyship waits for one network exchange. Defaults give up on a
 * dead or stalled server within about a minute; every value can be set through the
 * environment (`POLYSHIP_HTTP_*`, see `NET_LIMIT_VARIABLES`) or by the caller.
 */
export interface NetLimits {
  /** Until the TCP (and TLS) connection is up. */
  readonly connectMs: number
  /** Without a byte moving while polyship waits for one (request sent, answer or body awaited). */
  readonly idleMs: number
  /** One exchange from start to its body's last byte, for a small answer (transfers get more, see `bytesPerSecond`). */
  readonly deadlineMs: number
  /** Slowest transfer rate accepted: an exchange moving N bytes gets `deadlineMs + N / bytesPerSecond` s. */
  readonly bytesPerSecond: number
  /** Largest answer read (documents, pages, error bodies); blobs of known size are capped at that size. */
  readonly maxBytes: number
  /** All tries of one call together, waits between them included: no retry starts after this. */
  readonly retryMs: number
  /** After this long without a byte, a "waiting for <host>" warning is reported (and again each period). */
  readonly noticeMs: number
}

export const DEFAULT_NET_LIMITS: NetLimits = {
  connectMs: 10_000,
  idleMs: 30_000,
  deadlineMs: 60_000,
  bytesPerSecond: 256 * 1024,
  maxBytes: 64 * 1024 * 1024,
  retryMs: 60_000,
  noticeMs: 10_000,
}

/** The environment variables that set each limit: durations in seconds (`0.2`, `30`) or with a unit (`200ms`, `2m`); sizes in bytes or with a unit (`16MiB`). */
export const NET_LIMIT_VARIABLES = {
  connectMs: 'POLYSHIP_HTTP_CONNECT_TIMEOUT',
  idleMs: 'POLYSHIP_HTTP_IDLE_TIMEOUT',
  deadlineMs: 'POLYSHIP_HTTP_DEADLINE',
  bytesPerSecond: 'POLYSHIP_HTTP_MIN_RATE',
  maxBytes: 'POLYSHIP_HTTP_MAX_RESPONSE',
  retryMs: 'POLYSHIP_HTTP_RETRY_TIME',
  noticeMs: 'POLYSHIP_HTTP_NOTICE',
} as const satisfies Record<keyof NetLimits, string>

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, '': 1000, m: 60_000 }
const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
}

function parseLimit(key: keyof NetLimits, text: string): number {
  const variable = NET_LIMIT_VARIABLES[key]
  const size = key === 'maxBytes' || key === 'bytesPerSecond'
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text)
  const factor = match === null ? undefined : (size ? SIZE_UNITS : DURATION_UNITS)[match[2]!.toLowerCase()]
  const value = match === null || factor === undefined ? Number.NaN : Number(match[1]) * factor
  if (!Number.isFinite(value) || value <= 0) {
    throw new CoreError('CONFIG_INVALID', `${variable}="${text}" is not a ${size ? 'size' : 'duration'}`, {
      hint: size
        ? `set ${variable} to a number of bytes, or with a unit: 64MiB, 512KiB`
        : `set ${variable} to seconds (30, 0.5) or with a unit: 200ms, 30s, 2m`,
    })
  }
  return Math.round(value)
}

/** The limits the environment sets (`POLYSHIP_HTTP_*`), over the defaults, under `overrides`. */
export function netLimits(
  env: Readonly<Record<string, string | undefined>> = {},
  overrides: Partial<NetLimits> = {},
): NetLimits {
  const fromEnv: Partial<Record<keyof NetLimits, number>> = {}
  for (const key of Object.keys(NET_LIMIT_VARIABLES) as (keyof NetLimits)[]) {
    const text = env[NET_LIMIT_VARIABLES[key]]
    if (text !== undefined && text.trim() !== '') fromEnv[key] = parseLimit(key, text)
  }
  return { ...DEFAULT_NET_LIMITS, ...fromEnv, ...overrides }
}

/** Deadline of an exchange moving `bytes` (upload body or expected download). */
export function transferDeadlineMs(limits: NetLimits, bytes = 0): number {
  return Math.ceil(limits.deadlineMs + (bytes / limits.bytesPerSecond) * 1000)
}

/** `1.5 s`, `200 ms`, `2 min`: durations in messages. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 120_000) return `${Number((ms / 1000).toFixed(1))} s`
  return `${Math.round(ms / 60_000)} min`
}

/**
 * The time budget of one call's tries: a retry is started only when its backoff ends
 * within `limits.retryMs` of the first try.
 */
export class RetryBudget {
  readonly #start: number
  readonly #limitMs: number
  readonly #now: () => number

  constructor(limitMs: number, now: () => number = Date.now) {
    this.#limitMs = limitMs
    this.#now = now
    this.#start = now()
  }

  /** True when a retry waiting `delayMs` first still starts within the budget. */
  allows(delayMs = 0): boolean {
    return this.#now() + delayMs - this.#start < this.#limitMs
  }

  elapsedMs(): number {
    return this.#now() - this.#start
  }

  get limitMs(): number {
    return this.#limitMs
  }
}
