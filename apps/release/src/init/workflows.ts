import { readFile } from 'node:fs/promises'
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
 * The package's own files, found from this module so that an installed polyship (built
 * JavaScript under node_modules) reads its templates and version as the sources do here.
 */
const PACKAGE_ROOT = new URL('../../', import.meta.url)

/** The version of the installed polyship, from its package.json. */
export async function polyshipVersion(): Promise<string> {
  const manifest = JSON.parse(await readFile(new URL('package.json', PACKAGE_ROOT), 'utf8')) as {
    version?: unknown
  }
  if (typeof manifest.version !== 'string') throw new Error('polyship package.json has no version')
  return manifest.version
}

/** The workflow templates, with polyship's version written in. */
export async function readWorkflowTemplates(version: string): Promise<Record<WorkflowPath, string>> {
  const entries = await Promise.all(
    Object.entries(WORKFLOWS).map(async ([path, template]) => {
      const url = new URL(`templates/github/${template}`, PACKAGE_ROOT)
      let text: string
      try {
        text = await readFile(url, 'utf8')
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw cause
        throw new InitError(
          'INIT_TEMPLATE_MISSING',
          `the workflow template ${url.pathname} is missing from polyship`,
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
