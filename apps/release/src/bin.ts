#!/usr/bin/env node
// The one check that runs before anything is loaded: every dependency below needs a Node
// that older ones cannot even parse or link, so an old Node gets one line, not a stack trace.
const REQUIRED = [24, 15] as const
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
if (major < REQUIRED[0] || (major === REQUIRED[0] && minor < REQUIRED[1])) {
  process.stderr.write(
    `polyship needs Node >= ${REQUIRED.join('.')}.0, this is ${process.version}: install Node 24 (https://nodejs.org, or \`npm i -g node@24\`)\n`,
  )
  process.exit(1)
}
await import('./start.ts')
