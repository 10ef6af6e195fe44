import { FORMATS } from '@polyship/core'
import { renderTable } from '../table.ts'
import type { InitPlan } from './plan-files.ts'
import type { DetectedProject } from './project.ts'

/** The formats a project ships: its polyship field's sections, or `npm` for an npm package. */
export function formatsOf(project: DetectedProject): string[] {
  if (project.config === undefined) return ['npm']
  return FORMATS.filter((format) => project.config?.[format] !== undefined)
}

/** The plan as people read it: projects, files with create/modify/unchanged, skipped manifests, notes. */
export function renderInitPlan(plan: InitPlan): string {
  const projects = renderTable(
    ['dir', 'kind', 'name', 'version', 'formats'],
    plan.projects.map((p) => [p.dir, p.kind, p.name, p.version, formatsOf(p).join(', ')]),
  )
  const projectNotes = plan.projects.flatMap((p) => p.notes.map((note) => `  ${p.dir}: ${note}`))
  const files = renderTable(
    ['file', 'action', 'change'],
    plan.files.map((f) => [f.path, f.action, f.change]),
  )
  const sections = [`Projects\n\n${projects}`]
  if (projectNotes.length > 0) sections.push(`Notes\n\n${projectNotes.join('\n')}\n`)
  sections.push(`Files\n\n${files}`)
  if (plan.skipped.length > 0) {
    sections.push(`Not released\n\n${plan.skipped.map((s) => `  ${s.path}: ${s.reason}`).join('\n')}\n`)
  }
  if (plan.notes.length > 0) sections.push(`${plan.notes.map((note) => `  ${note}`).join('\n')}\n`)
  return sections.join('\n')
}
