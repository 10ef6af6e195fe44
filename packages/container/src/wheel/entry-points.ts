import { ContainerError } from '../errors.ts'
import { fileNameProblem } from '../layer/image-path.ts'

/** A `console_scripts` / `gui_scripts` entry: `fastjson = fastjson.cli:main`. */
export interface ScriptEntryPoint {
  readonly name: string
  readonly module: string
  /** Dotted attribute path of the callable: `main`, `App.run`. */
  readonly attribute: string
}

const SCRIPT_GROUPS = new Set(['console_scripts', 'gui_scripts'])
const NAME = /^[A-Za-z0-9_.-]+$/
const DOTTED = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/

/**
 * The script entry points of an `entry_points.txt` (INI: `[group]` then `name = module:attr [extras]`),
 * sorted by name. `where` names the wheel for messages.
 */
export function parseScriptEntryPoints(text: string, where: string): ScriptEntryPoint[] {
  const out = new Map<string, ScriptEntryPoint>()
  let group = ''
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    const section = /^\[(.+)\]$/.exec(line)
    if (section !== null) {
      group = section[1]!.trim()
      continue
    }
    if (!SCRIPT_GROUPS.has(group)) continue
    const equals = line.indexOf('=')
    const name = line.slice(0, equals).trim()
    const value = line
      .slice(equals + 1)
      .replace(/\[.*\]\s*$/, '')
      .trim()
    const [module, attribute] = value.split(':').map((part) => part.trim())
    // the name becomes a launcher file in the scripts directory: `.` would be the directory itself
    const problem = equals < 0 ? undefined : fileNameProblem(name)
    if (problem !== undefined) {
      throw new ContainerError(
        'CONTAINER_NAME_INVALID',
        `${where}: ${group === 'gui_scripts' ? 'gui' : 'console'} script ${JSON.stringify(name)} in [${group}] of entry_points.txt is not a file name (${problem}); installed, it would replace the scripts directory or land outside it`,
        {
          hint: 'rename the script in [project.scripts] of pyproject.toml to a plain name (letters, digits, _ . -) and rebuild the wheel',
        },
      )
    }
    if (equals <= 0 || !NAME.test(name) || !DOTTED.test(module ?? '') || !DOTTED.test(attribute ?? '')) {
      throw new ContainerError(
        'CONTAINER_WHEEL_INVALID',
        `${where}: entry point "${line}" in [${group}] is not "name = module:function"`,
        {
          hint: 'fix [project.scripts] in pyproject.toml and rebuild the wheel',
        },
      )
    }
    out.set(name, { name, module: module!, attribute: attribute! })
  }
  return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/**
 * The launcher pip writes for an entry point (distlib's template), with `interpreter` on
 * the #! line: it imports the callable and exits with what it returns.
 */
export function launcherScript(entry: ScriptEntryPoint, interpreter: string): string {
  const [head] = entry.attribute.split('.')
  return [
    `#!${interpreter}`,
    '# -*- coding: utf-8 -*-',
    'import re',
    'import sys',
    `from ${entry.module} import ${head}`,
    "if __name__ == '__main__':",
    "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])",
    `    sys.exit(${entry.attribute}())`,
    '',
  ].join('\n')
}
