import { join } from 'node:path'
import { writeArchive } from '@polyship/core'

/** An OSV record (https://ossf.github.io/osv-schema/), as the ecosystem exports hold them. */
export type OsvRecord = Readonly<Record<string, unknown>> & { readonly id: string }

/**
 * GHSA-69ch-w2m2-3vjp (CVE-2022-32149, GO-2022-1059) as GitHub publishes it in OSV: a denial
 * of service in golang.org/x/text/language, every version before 0.3.8.
 */
export const X_TEXT_ADVISORY: OsvRecord = {
  schema_version: '1.4.0',
  id: 'GHSA-69ch-w2m2-3vjp',
  modified: '2023-11-08T04:10:46Z',
  published: '2022-10-12T00:00:21Z',
  aliases: ['CVE-2022-32149'],
  related: ['GO-2022-1059'],
  summary: 'golang.org/x/text/language Denial of service via crafted Accept-Language header',
  details:
    'An attacker may cause a denial of service by crafting an Accept-Language header which ParseAcceptLanguage will take significant time to parse.',
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' }],
  affected: [
    {
      package: { ecosystem: 'Go', name: 'golang.org/x/text' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '0.3.8' }] }],
    },
  ],
  references: [
    { type: 'ADVISORY', url: 'https://nvd.nist.gov/vuln/detail/CVE-2022-32149' },
    { type: 'PACKAGE', url: 'https://github.com/golang/text' },
    { type: 'WEB', url: 'https://pkg.go.dev/vuln/GO-2022-1059' },
  ],
  database_specific: {
    cwe_ids: ['CWE-772'],
    github_reviewed: true,
    github_reviewed_at: '2022-10-14T15:12:55Z',
    nvd_published_at: '2022-10-14T15:15:00Z',
    severity: 'HIGH',
  },
}

/**
 * Writes an offline OSV database the way osv.dev exports it: `<dir>/<ecosystem>/all.zip`
 * holding one `<id>.json` per record. An ecosystem with no records gets an empty export.
 */
export async function writeOsvDatabase(
  dir: string,
  records: Readonly<Record<string, readonly OsvRecord[]>>,
): Promise<void> {
  for (const [ecosystem, list] of Object.entries(records)) {
    await writeArchive(
      join(dir, ecosystem, 'all.zip'),
      list.map((record) => ({
        type: 'file' as const,
        path: `${record.id}.json`,
        content: JSON.stringify(record, null, 2),
      })),
      { format: 'zip', mtime: Date.parse('2026-01-01T00:00:00Z') / 1000 },
    )
  }
}
