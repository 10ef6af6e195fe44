import { isDeepStrictEqual } from 'node:util'
import { InitError } from './errors.ts'
import { addJsonMember, formatJson } from './json-edit.ts'
import { parsePackageJson } from './package-json.ts'
import type { FileEdit } from './project-manifest.ts'

/** Changesets 3 versions private packages only when told to; every non-npm project is private. */
const PRIVATE_PACKAGES = { version: true, tag: true } as const

/** .changeset/config.json, written directly (`changeset init` is interactive). */
export function changesetConfig(original: string | undefined, file: string, baseBranch: string): FileEdit {
  if (original === undefined) {
    const config = {
      $schema: 'https://unpkg.com/@changesets/config@4.0.0/schema.json',
      changelog: '@changesets/cli/changelog',
      commit: false,
      fixed: [],
      linked: [],
      access: 'restricted',
      baseBranch,
      updateInternalDependencies: 'patch',
      privatePackages: PRIVATE_PACKAGES,
      ignore: [],
    }
    return {
      text: `${formatJson(config)}\n`,
      change: `changesets, base branch ${baseBranch}, private packages versioned and tagged`,
    }
  }
  const json = parsePackageJson(original, file)
  if (json.privatePackages === undefined) {
    return {
      text: addJsonMember(original, file, [], 'privatePackages', PRIVATE_PACKAGES),
      change: 'add privatePackages',
    }
  }
  if (isDeepStrictEqual(json.privatePackages, PRIVATE_PACKAGES))
    return { text: original, change: 'versions private packages' }
  throw new InitError(
    'INIT_WOULD_OVERWRITE',
    `${file}: privatePackages is ${JSON.stringify(json.privatePackages)}; init would have to replace it with ${JSON.stringify(PRIVATE_PACKAGES)}`,
    {
      hint: `Go, Rust, Python and chart projects are private packages: set "privatePackages": ${JSON.stringify(PRIVATE_PACKAGES)} so changesets versions and tags them, then run polyship init again`,
    },
  )
}

export const CHANGESET_README = `# Changesets

Pending release notes. Every project of this workspace is versioned by changesets through
its package.json, including the Go, Rust, Python and Helm projects (private packages with
a \`polyship\` field; \`privatePackages\` in config.json is on for them). Add one with
\`pnpm changeset\`, or by hand:

\`\`\`md
---
"my-server": minor
---

What changed, for the changelog.
\`\`\`

\`pnpm polyship status\` shows what a release would bump; \`pnpm polyship version\` applies the
changesets and writes the new versions into every native manifest (Cargo.toml, pyproject.toml,
Chart.yaml, ...); \`pnpm release\` builds, signs and publishes what is not yet published.
`

export function changesetReadme(original: string | undefined): FileEdit {
  return original === undefined
    ? { text: CHANGESET_README, change: 'how to add a changeset' }
    : { text: original, change: 'kept' }
}
