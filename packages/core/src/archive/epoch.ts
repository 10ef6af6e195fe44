import { CoreError } from '../errors.ts'

/**
 * The timestamp every archive entry carries: SOURCE_DATE_EPOCH when set
 * (https://reproducible-builds.org/specs/source-date-epoch/), else 0.
 */
export function sourceDateEpoch(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const raw = env.SOURCE_DATE_EPOCH
  if (raw === undefined || raw === '') return 0
  if (!/^\d{1,12}$/.test(raw)) {
    throw new CoreError('CONFIG_INVALID', `SOURCE_DATE_EPOCH="${raw}" is not a whole number of seconds`, {
      hint: 'set it to a Unix timestamp, e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)',
    })
  }
  return Number(raw)
}
