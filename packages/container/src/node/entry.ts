import { ContainerError } from '../errors.ts'
import { insidePath } from '../layer/image-path.ts'

/** The file a Node image runs, relative to the package, and the field that named it. */
export interface NodeEntry {
  /** Normalized, relative to the package directory: `dist/server.js`. */
  readonly path: string
  /** `polyship.image.node.entry`, `bin`, `bin.<name>` or `main`: for messages. */
  readonly field: string
}

/**
 * The entry point of a Node package: `polyship.image.node.entry` when configured, else
 * package.json `bin` (a string, the only command, or the one named like the package
 * without its scope), else `main`. Node's own fallback to index.js is not taken: an image
 * whose command nobody wrote down is refused with CONTAINER_NODE_ENTRY_MISSING.
 */
export function nodeEntry(
  manifest: Readonly<Record<string, unknown>>,
  options: {
    readonly project: string
    /** The package.json, for messages. */
    readonly file: string
    readonly configured?: string | undefined
  },
): NodeEntry {
  const { project, file } = options
  const at = (value: string, field: string): NodeEntry => ({
    path: insidePath(value, `${file}: ${field}`, `the package directory of ${project}`),
    field,
  })
  if (options.configured !== undefined) return at(options.configured, 'polyship.image.node.entry')
  const { bin, main } = manifest
  if (typeof bin === 'string' && bin !== '') return at(bin, 'bin')
  if (typeof bin === 'object' && bin !== null) {
    const commands = Object.entries(bin as Record<string, unknown>).filter(
      (e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '',
    )
    const own = project.replace(/^@[^/]+\//, '')
    const chosen = commands.length === 1 ? commands[0] : commands.find(([name]) => name === own)
    if (chosen !== undefined) return at(chosen[1], `bin.${chosen[0]}`)
    if (commands.length > 1) {
      throw new ContainerError(
        'CONTAINER_NODE_ENTRY_MISSING',
        `${file}: ${project} has ${commands.length} commands in "bin" (${commands.map(([n]) => n).join(', ')}) and none is named ${own}: the Node image cannot tell which one to run`,
        {
          hint: 'set polyship.image.node.entry to the file the image should run, e.g. "bin/server.js"',
          source: { file },
        },
      )
    }
  }
  if (typeof main === 'string' && main !== '') return at(main, 'main')
  throw new ContainerError(
    'CONTAINER_NODE_ENTRY_MISSING',
    `${file}: ${project} has no entry point for its Node image: package.json has neither "bin" nor "main"`,
    {
      hint: 'add "main" (or "bin") to package.json, or set polyship.image.node.entry to the file node should run',
      source: { file },
    },
  )
}
