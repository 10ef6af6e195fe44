import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run, SubprocessError } from '@polyship/core'
import { describe, expect, it } from 'vitest'

const CORE = join(import.meta.dirname, '..', 'src', 'index.ts')

describe('run', () => {
  it('returns the output of an exit code listed in okExitCodes instead of throwing', async () => {
    const result = await run('sh', ['-c', 'echo findings; exit 1'], { okExitCodes: [1] })
    expect(result).toEqual({ stdout: 'findings\n', stderr: '', exitCode: 1 })
    await expect(run('sh', ['-c', 'exit 2'], { okExitCodes: [1] })).rejects.toBeInstanceOf(SubprocessError)
  })

  it('returns stdout of a successful command, env passed explicitly', async () => {
    const result = await run('sh', ['-c', 'echo "$GREETING"'], {
      env: { PATH: process.env.PATH, GREETING: 'hello world' },
    })
    expect(result.stdout).toBe('hello world\n')
  })

  it('reports the escaped command, exit code and stderr tail, and never a secret from env', async () => {
    const token = 'ghp_s3cr3tT0kenValue1234567890'
    const error = await run(
      'sh',
      [
        '-c',
        'for i in $(seq 1 40); do echo "line $i" >&2; done; echo "auth: $GITHUB_TOKEN" >&2; exit 3',
        'arg with space',
      ],
      {
        env: { PATH: process.env.PATH, GITHUB_TOKEN: token },
      },
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SubprocessError)
    const failure = error as SubprocessError
    expect(failure.code).toBe('SUBPROCESS_FAILED')
    expect(failure.exitCode).toBe(3)
    expect(failure.message).toContain("sh -c 'for i in")
    expect(failure.message).toContain("'arg with space' failed with exit code 3")
    expect(failure.message).toContain('line 40')
    expect(failure.message).not.toContain('line 10\n')
    expect(failure.message).toContain('auth: [redacted]')
    expect(JSON.stringify({ ...failure, message: failure.message })).not.toContain(token)
  })

  it('redacts credentials in URLs given as arguments', async () => {
    const error = (await run('sh', ['-c', 'exit 1', 'https://user:hunter22@example.invalid/repo'], {}).catch(
      (e: unknown) => e,
    )) as Error
    expect(error.message).toContain('https://[redacted]@example.invalid/repo')
    expect(error.message).not.toContain('hunter22')
  })

  it('says which command is missing', async () => {
    await expect(run('polyship-no-such-tool', ['--version'])).rejects.toMatchObject({
      code: 'SUBPROCESS_NOT_FOUND',
    })
  })

  it('kills a command past its time limit', async () => {
    await expect(run('sleep', ['5'], { timeoutMs: 200 })).rejects.toMatchObject({
      code: 'SUBPROCESS_TIMEOUT',
    })
  })

  it('writes input to stdin, and decodes UTF-8 split across output chunks whole', async () => {
    const result = await run('sh', ['-c', 'cat; printf "\\303"; sleep 0.1; printf "\\251\\n"'], {
      input: 'héllo ',
    })
    expect(result.stdout).toBe('héllo é\n')
  })

  it('kills the command when the signal aborts, and says so', async () => {
    const controller = new AbortController()
    const started = run('sleep', ['5'], { signal: controller.signal })
    setTimeout(() => controller.abort(), 100)
    await expect(started).rejects.toMatchObject({ code: 'SUBPROCESS_FAILED', message: /killed by SIGTERM/ })
    await expect(run('sleep', ['5'], { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'SUBPROCESS_FAILED',
    })
  })

  it('says which command could not be started, and why', async () => {
    await expect(run(tmpdir(), [])).rejects.toMatchObject({
      code: 'SUBPROCESS_FAILED',
      message: expect.stringMatching(/EACCES/),
    })
  })

  it('kills the tools still running when polyship exits (a failed release leaves no compile behind)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'polyship-orphan-'))
    const pidFile = join(dir, 'pid')
    const script = `import { run } from ${JSON.stringify(CORE)}
run('sh', ['-c', 'echo $$ > ${pidFile}; exec sleep 30']).catch(() => {})
setTimeout(() => process.exit(1), 500)`
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })
    expect(child.status).toBe(1)
    const pid = Number(await readFile(pidFile, 'utf8'))
    // a zombie (killed, not yet reaped by init) is dead: only a running or sleeping sleep is left behind
    const alive = () => {
      try {
        return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
      } catch {
        return false
      }
    }
    for (let i = 0; i < 40 && alive(); i++) await new Promise((r) => setTimeout(r, 50))
    const left = alive()
    if (left) process.kill(pid, 'SIGKILL')
    await rm(dir, { recursive: true, force: true })
    expect(left).toBe(false)
  })
})
