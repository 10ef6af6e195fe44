#!/usr/bin/env node
import { enableCompileCache } from 'node:module'
import { main } from './cli.ts'

enableCompileCache?.()
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
})
