import { randomUUID } from 'node:crypto'
import { appendFile } from 'node:fs/promises'
import { isAbsolute, relative, sep } from 'node:path'
import { isPolyshipError, type PolyshipError, redact, secretValues } from '@polyship/core'
import type { CliContext } from './context.ts'
import type { Finding } from './release/reconcile.ts'
import type { ReleaseSummary } from './release/run.ts'

type Env = Readonly<Record<string, string | undefined>>

/**
 * What one `polyship release` tells GitHub Actions: the step's outputs (`released`,
 * `tags`: JSON lists; `record`: path of release.json or empty; `published`: "true" when
 * this run ended with everything released and recorded) and markdown for the job summary.
 */
export interface ActionsReport {
  readonly outputs: {
    readonly released: string
    readonly tags: string
    readonly record: string
    readonly published: 'true' | 'false'
  }
  readonly summary: string
}

export function inGithubActions(env: Env): boolean {
  return env.GITHUB_ACTIONS === 'true'
}

/** A markdown table cell: pipes escaped, line breaks as `<br>`. */
const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', '<br>')
const code = (text: string) => (text === '' ? '' : `\`${text.replaceAll('`', "'")}\``)

function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n')
}

function tally(findings: readonly Finding[], planned: boolean): string {
  const words = {
    new: planned ? 'new' : 'published',
    unchanged: 'unchanged',
    conflict: planned ? 'replace' : 'replaced',
  }
  const counts = new Map<string, number>()
  for (const f of findings) counts.set(words[f.state.status], (counts.get(words[f.state.status]) ?? 0) + 1)
  return [...counts].map(([word, n]) => `${n} ${word}`).join(', ')
}

const NOTHING = { released: '[]', tags: '[]', record: '', published: 'false' } as const

/** Pure: the outputs and summary of a release run. */
export function releaseReport(summary: ReleaseSummary): ActionsReport {
  switch (summary.status) {
    case 'released': {
      const rows = summary.artifacts.map((a) => [
        a.project,
        a.version,
        `${code(a.name)} (${[a.kind, a.platform].filter(Boolean).join(', ')})`,
        a.locations.map(code).join('<br>'),
        code(a.digest),
      ])
      return {
        outputs: {
          released: JSON.stringify(summary.projects.map((p) => p.name)),
          tags: JSON.stringify(summary.projects.flatMap((p) => [p.tag, ...(p.goTags ?? [])])),
          record: summary.recordPath,
          published: 'true',
        },
        summary: [
          '### polyship release',
          '',
          `Released ${summary.projects.map((p) => code(p.tag)).join(', ')}: ${tally(summary.findings, false)}. Record: ${code(summary.recordPath)}.`,
          '',
          markdownTable(['project', 'version', 'artifact', 'where', 'digest'], rows),
          '',
        ].join('\n'),
      }
    }
    case 'planned': {
      const wouldBe = { new: 'new', unchanged: 'unchanged', conflict: 'replace' }
      const rows = summary.findings.map((f) => [f.project, code(f.artifact), f.kind, wouldBe[f.state.status]])
      return {
        outputs: NOTHING,
        summary: [
          `### polyship release (${summary.snapshot ? 'snapshot' : 'dry run'}: nothing was published)`,
          '',
          `${tally(summary.findings, true)}.`,
          '',
          markdownTable(['project', 'artifact', 'kind', 'would be'], rows),
          '',
        ].join('\n'),
      }
    }
    case 'up-to-date':
      return {
        outputs: NOTHING,
        summary: [
          '### polyship release',
          '',
          `Nothing to release: ${summary.released.map((r) => `${code(r.tag)} (released at ${code(r.commit.slice(0, 12))})`).join(', ')}.`,
          '',
        ].join('\n'),
      }
    case 'split':
      return {
        outputs: NOTHING,
        summary: [
          '### polyship release --split',
          '',
          `Built ${summary.units.length} units into ${code(summary.shard)}; a --merge job signs and publishes them.`,
          '',
        ].join('\n'),
      }
  }
}

/** One `name<<delimiter` block of the GITHUB_OUTPUT file format (safe for any value). */
function outputBlock(name: string, value: string): string {
  let delimiter = `polyship_${randomUUID()}`
  while (value.includes(delimiter)) delimiter = `polyship_${randomUUID()}`
  return `${name}<<${delimiter}\n${value}\n${delimiter}\n`
}

/**
 * Appends a report to $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY (each only when set),
 * redacted like every other line polyship writes.
 */
export async function writeActionsReport(report: ActionsReport, env: Env): Promise<void> {
  const secrets = secretValues(env)
  if (env.GITHUB_OUTPUT) {
    const blocks = Object.entries(report.outputs).map(([name, value]) =>
      outputBlock(name, redact(value, secrets)),
    )
    await appendFile(env.GITHUB_OUTPUT, blocks.join(''))
  }
  if (env.GITHUB_STEP_SUMMARY) await appendFile(env.GITHUB_STEP_SUMMARY, redact(report.summary, secrets))
}

/** In GitHub Actions, reports a release's outcome to the workflow; elsewhere does nothing. */
export async function reportRelease(summary: ReleaseSummary, env: Env): Promise<void> {
  if (inGithubActions(env)) await writeActionsReport(releaseReport(summary), env)
}

/** Workflow-command escaping: the message, then property values (which also escape `:` and `,`). */
const escapeData = (text: string) =>
  text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A')
const escapeProperty = (text: string) => escapeData(text).replaceAll(':', '%3A').replaceAll(',', '%2C')

/**
 * Pure: the `::error` workflow command for a coded error, with `file` and `line` when the
 * error names its source. The file is made relative to `workspace` (the checkout,
 * GITHUB_WORKSPACE), which is how GitHub matches annotations to files in a diff.
 */
export function errorAnnotation(error: PolyshipError, workspace?: string): string {
  const properties: string[] = []
  if (error.source !== undefined) {
    const inside =
      workspace !== undefined && isAbsolute(error.source.file)
        ? relative(workspace, error.source.file)
        : error.source.file
    const file = inside.startsWith('..') || isAbsolute(inside) ? error.source.file : inside
    properties.push(`file=${escapeProperty(file.split(sep).join('/'))}`)
    if (error.source.line !== undefined) properties.push(`line=${error.source.line}`)
    if (error.source.column !== undefined) properties.push(`col=${error.source.column}`)
  }
  properties.push(`title=${escapeProperty(`polyship ${error.code}`)}`)
  const message = error.hint ? `${error.message}\nhint: ${error.hint}` : error.message
  // redacted before escaping: an escaped secret (`%` -> `%25`) would no longer match
  return `::error ${properties.join(',')}::${escapeData(redact(message))}\n`
}

/**
 * In GitHub Actions, annotates a coded error on stderr (the runner reads workflow commands
 * from both streams; stdout stays the command's result). Elsewhere, and for bugs, nothing.
 */
export function annotateError(error: unknown, context: CliContext): void {
  if (!inGithubActions(context.env) || !isPolyshipError(error)) return
  const line = errorAnnotation(error, context.env.GITHUB_WORKSPACE ?? context.cwd)
  context.stderr.write(redact(line, secretValues(context.env)))
}
