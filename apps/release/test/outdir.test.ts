import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { run } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exampleWorkspace, polyship, type TestWorkspace } from './workspace.ts'

let ws: TestWorkspace

beforeAll(async () => {
  ws = await exampleWorkspace({
    projects: ['time-server-go'],
    platforms: { 'time-server-go': ['linux/amd64', 'linux/arm64'] },
  })
  // The user's own staging/ and docs/, committed.
  await mkdir(join(ws.root, 'staging'))
  await writeFile(join(ws.root, 'staging', 'notes.md'), 'mine\n')
  await mkdir(join(ws.root, 'docs'))
  await writeFile(join(ws.root, 'docs', 'index.md'), 'mine\n')
  await run('git', ['add', '-A'], { cwd: ws.root })
  await run('git', ['-c', 'user.name=t', '-c', 'user.email=t@t.invalid', 'commit', '-qm', 'user files'], {
    cwd: ws.root,
  })
}, 120_000)
afterAll(() => ws?.remove())

describe('outDir holds nothing polyship did not create', () => {
  it.each([
    ['.', 'is the workspace root or a directory above it'],
    ['..', 'is the workspace root or a directory above it'],
    ['docs', 'holds files git tracks (docs/index.md)'],
  ])(
    'outDir "%s" is RELEASE_OUTDIR_INVALID before anything is written, --dry-run included',
    async (outDir, why) => {
      await ws.configure({ outDir })
      for (const args of [['release', '--dry-run'], ['build']]) {
        const result = await polyship(args, ws)
        expect(result.code).toBe(1)
        expect(result.stderr).toContain(
          `error RELEASE_OUTDIR_INVALID: polyship.json outDir "${outDir}" ${why}`,
        )
      }
      expect(existsSync(join(ws.root, 'staging', 'notes.md'))).toBe(true)
      expect(existsSync(join(ws.root, 'docs', 'index.md'))).toBe(true)
    },
  )
})
