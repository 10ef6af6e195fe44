import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { InitError } from './errors.ts'
import type { FileEdit } from './project-manifest.ts'

/** The workflows init writes, by template name under templates/github/. */
export const WORKFLOWS = {
  '.github/workflows/polyship-ci.yml': 'ci.yml',
  '.github/workflows/polyship-release.yml': 'release.yml',
} as const

export type WorkflowPath = keyof typeof WORKFLOWS

export const VERSION_PLACEHOLDER = '__POLYSHIP_VERSION__'

/**
 * The directory of the package this module belongs to: the nearest one above it with a
 * package.json. Found from the module, not the repository, so that an installed polyship
 * (built JavaScript under node_modules, bundled or not) reads its own templates and version.
 */
function packageRoot(): string {
  const self = fileURLToPath(import.meta.url)
  for (let dir = dirname(self); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir
    if (dirname(dir) === dir) throw new Error(`no package.json above ${self}`)
  }
}

/** The version of the installed polyship, from its package.json. */
export async function polyshipVersion(): Promise<string> {
  const manifest = JSON.parse(await readFile(join(packageRoot(), 'package.json'), 'utf8')) as {
    version?: unknown
  }
  if (typeof manifest.version !== 'string') throw new Error('polyship package.json has no version')
  return manifest.version
}

/** The workflow templates, with polyship's version written in. */
export async function readWorkflowTemplates(version: string): Promise<Record<WorkflowPath, string>> {
  const entries = await Promise.all(
    Object.entries(WORKFLOWS).map(async ([path, template]) => {
      const file = join(packageRoot(), 'templates', 'github', template)
      let text: string
      try {
        text = await readFile(file, 'utf8')
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw cause
        throw new InitError(
          'INIT_TEMPLATE_MISSING',
          `the workflow template ${file} is missing from polyship`,
          {
            hint: 'reinstall polyship (pnpm add -D polyship); the package ships templates/github/',
            cause,
          },
        )
      }
      return [path, text.replaceAll(VERSION_PLACEHOLDER, version)] as const
    }),
  )
  return Object.fromEntries(entries) as Record<WorkflowPath, string>
}

/** A workflow file: written when absent; one that differs from the template is the user's and kept. */
export function workflow(original: string | undefined, template: string): FileEdit {
  if (original === undefined) return { text: template, change: 'from the polyship template' }
  if (original === template) return { text: original, change: 'matches the template' }
  return {
    text: original,
    change: 'differs from the template: kept (delete it and run init again to regenerate)',
  }
}
