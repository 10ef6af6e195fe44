import type { Reporter } from '@polyship/core'
import type { PythonSettings } from '../base/python.ts'
import { ContainerError } from '../errors.ts'
import type { HealthcheckJson } from '../image/config-json.ts'
import type { ImageTree } from '../rootfs/checks.ts'
import type { WheelFile } from '../wheel/choose.ts'
import { readWheelMetadata } from './wheel-metadata.ts'

/** Where official python images and Debian put CPython 3. */
const INTERPRETER_DIRS = ['/usr/local/bin', '/usr/bin']

/**
 * The image's interpreter against the base: present, fine. A base with another CPython
 * (`/usr/bin/python3.11` where `/usr/local/bin/python3.12` was expected) is
 * CONTAINER_PYTHON_MISSING, naming what it has; so is a base with no Python at all when
 * dependencies were installed for it. A dependency-free wheel on a base without any Python
 * still builds (its layers are real) with a loud warning that it cannot run.
 */
export async function checkInterpreter(
  tree: ImageTree,
  python: PythonSettings,
  context: {
    readonly project: string
    readonly platform: string
    readonly base: string
    readonly dependencies: boolean
    readonly reporter: Reporter
    readonly where: string
  },
): Promise<void> {
  if ((await tree.find(python.interpreter)) !== undefined) return
  const found: string[] = []
  for (const dir of INTERPRETER_DIRS) {
    for (let minor = 6; minor <= 20; minor++) {
      const candidate = `${dir}/python3.${minor}`
      if ((await tree.find(candidate)) !== undefined) found.push(candidate)
    }
  }
  const what = `${context.project}: the ${context.platform} image has no ${python.interpreter} (Python ${python.version}, base ${context.base})`
  if (found.length > 0 || context.dependencies) {
    throw new ContainerError(
      'CONTAINER_PYTHON_MISSING',
      `${context.where}: ${what}; ${found.length > 0 ? `the base has ${found.join(', ')}` : 'the base has no Python at all'}`,
      {
        hint:
          found.length > 0
            ? `set polyship.image.python.version and .interpreter to the base's (e.g. ${found[0]}; a Debian base also wants sitePackages /usr/local/lib/python3.X/dist-packages), or use a base with Python ${python.version}`
            : 'point polyship.image.python.base (or the release bases.python) at an image with Python',
      },
    )
  }
  context.reporter.emit({
    type: 'log',
    level: 'warn',
    message: `${what}; its Python entry points cannot run. Point polyship.image.python.base (or the release's python base) at a Python image to make it runnable.`,
  })
}

/**
 * The seed-004 health check of a wheel image: the image's interpreter imports the project's
 * top-level packages (`python3.11 -c "import fastjson"`), which proves the interpreter, the
 * package and every dependency it imports at load time are in place. Undefined when the
 * wheels have nothing importable.
 */
export async function importHealthcheck(
  wheels: readonly WheelFile[],
  python: PythonSettings,
): Promise<HealthcheckJson | undefined> {
  const names = new Set<string>()
  for (const wheel of wheels)
    for (const name of (await readWheelMetadata(wheel.path, wheel.name.filename)).importNames) names.add(name)
  if (names.size === 0) return undefined
  return { Test: ['CMD', python.interpreter, '-c', `import ${[...names].sort().join(', ')}`] }
}
