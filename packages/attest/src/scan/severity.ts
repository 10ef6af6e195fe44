import type { ScanSeverity } from '@polyship/core'

/** A finding's severity; `unknown` when the advisory carries none the scanner can read. */
export type Severity = ScanSeverity | 'unknown'

export const SEVERITIES: readonly ScanSeverity[] = ['low', 'medium', 'high', 'critical']

/** Rank for comparisons; an advisory without a severity ranks as critical (the gate fails closed). */
export function severityRank(severity: Severity): number {
  return severity === 'unknown' ? SEVERITIES.length - 1 : SEVERITIES.indexOf(severity)
}

/** GitHub's `database_specific.severity` words (MODERATE is GitHub's MEDIUM). */
export function severityFromLabel(label: unknown): ScanSeverity | undefined {
  if (typeof label !== 'string') return undefined
  switch (label.toUpperCase()) {
    case 'LOW':
      return 'low'
    case 'MODERATE':
    case 'MEDIUM':
      return 'medium'
    case 'HIGH':
      return 'high'
    case 'CRITICAL':
      return 'critical'
    default:
      return undefined
  }
}

/** CVSS v3/v4 qualitative bands of a base score (0 is "none": below every threshold, ranked low). */
export function severityFromScore(score: number): ScanSeverity {
  if (score >= 9) return 'critical'
  if (score >= 7) return 'high'
  if (score >= 4) return 'medium'
  return 'low'
}
