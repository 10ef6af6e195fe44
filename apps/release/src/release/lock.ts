import { mkdir, open, readFile, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { ReleaseError } from './errors.ts'

export interface ReleaseLock {
  release(): Promise<void>
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Takes the workspace release lock (a file created with O_EXCL holding our pid). A lock
 * left by a process that no longer runs (a crash, kill -9) is taken over, so a crashed
 * release is resumed simply by running again.
 */
export async function acquireLock(file: string, pid = process.pid): Promise<ReleaseLock> {
  await mkdir(dirname(file), { recursive: true })
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx')
      await handle.writeFile(`${pid}\n`)
      await handle.close()
      return { release: () => rm(file, { force: true }) }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim())
      if (Number.isInteger(holder) && holder > 0 && alive(holder)) {
        throw new ReleaseError(
          'RELEASE_LOCKED',
          `another polyship release (pid ${holder}) is running in this workspace`,
          {
            hint: `wait for it to finish; if it is gone, delete ${file}`,
          },
        )
      }
      await rm(file, { force: true })
    }
  }
  throw new ReleaseError('RELEASE_LOCKED', `could not take the release lock ${file}`, {
    hint: `delete ${file} and retry`,
  })
}
