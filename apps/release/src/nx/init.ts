import type { GeneratorCallback, Tree } from '@nx/devkit'

export interface InitGeneratorOptions {
  readonly dryRun?: boolean
}

/**
 * `nx add polyship` runs this (`polyship:init`): it is `polyship init` in the workspace,
 * run once Nx has written its own changes, so the two never write the same file twice.
 */
export default async function initGenerator(
  tree: Tree,
  options: InitGeneratorOptions = {},
): Promise<GeneratorCallback> {
  return async () => {
    const { main } = await import('../cli.ts')
    const args = ['init', '--cwd', tree.root, ...(options.dryRun ? ['--dry-run'] : [])]
    const code = await main(args, {
      stdout: process.stdout,
      stderr: process.stderr,
      env: process.env,
      cwd: tree.root,
    })
    if (code !== 0) throw new Error(`polyship init exited with code ${code}`)
  }
}
