#!/usr/bin/env node
import * as nodeModule from 'node:module'

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
// Node's compile cache, before anything else loads: every module after this one (start, the
// CLI, the command and its dependencies) is compiled from V8's cache instead of from source
// once a first run wrote it. The directory is Node's: NODE_COMPILE_CACHE when set, else
// <os.tmpdir()>/node-compile-cache, writable wherever the package is installed (a global,
// read-only install included); NODE_DISABLE_COMPILE_CACHE=1 turns it off. A namespace
// import, so an old Node without the function still reaches the message above.
nodeModule.enableCompileCache?.()
await import('./start.ts')
