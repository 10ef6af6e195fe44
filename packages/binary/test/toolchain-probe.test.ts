import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const BINARY = join(import.meta.dirname, '..', 'src', 'index.ts')
const CORE = join(import.meta.dirname, '..', '..', 'core', 'src', 'index.ts')

/** A native stand-in for go (a real Go program, so the probe cache keeps its answers) that logs each call. */
const FAKE_GO = `package main

import (
	"fmt"
	"os"
	"strings"
)

var version = "go0"

func main() {
	if log, err := os.OpenFile(os.Getenv("FAKE_GO_LOG"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
		fmt.Fprintln(log, strings.Join(os.Args[1:], " "))
		log.Close()
	}
	if len(os.Args) > 1 && os.Args[1] == "env" {
		fmt.Printf("{\\"GOVERSION\\": %q, \\"GOFLAGS\\": \\"\\"}\\n", version)
		return
	}
	fmt.Println("linux/amd64")
	fmt.Println("linux/arm64")
}
`

let dir: string
let bin: string
let log: string
let env: Record<string, string | undefined>

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'polyship-go-probe-'))
  bin = join(dir, 'bin')
  log = join(dir, 'go.log')
  await mkdir(join(dir, 'src'), { recursive: true })
  await mkdir(bin)
  await writeFile(join(dir, 'src', 'go.mod'), 'module fakego\n\ngo 1.21\n')
  await writeFile(join(dir, 'src', 'main.go'), FAKE_GO)
  for (const version of ['go1.30.0', 'go1.31.2']) {
    await run('go', ['build', '-o', join(dir, version), `-ldflags=-X main.version=${version}`, '.'], {
      cwd: join(dir, 'src'),
      env: { ...process.env, CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOFLAGS: '' },
    })
  }
  env = {
    PATH: `${bin}:${process.env.PATH}`,
    HOME: dir,
    POLYSHIP_CACHE: join(dir, 'cache'),
    FAKE_GO_LOG: log,
  }
}, 120_000)

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Installs one of the fake go builds on PATH, renamed over the previous one as an upgrade does. */
async function installGo(version: string): Promise<void> {
  await run('cp', [join(dir, version), join(bin, 'go.new')])
  await rename(join(bin, 'go.new'), join(bin, 'go'))
}

const calls = async () => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean).length

describe('the go toolchain probe cache', () => {
  it('answers a later process from disk, and asks again once go on PATH is replaced', async () => {
    await installGo('go1.30.0')
    const script = join(dir, 'check.ts')
    await writeFile(
      script,
      `import { checkGoToolchain, parseGoMod } from ${JSON.stringify(BINARY)}
import { silentReporter } from ${JSON.stringify(CORE)}
const goMod = parseGoMod('module example.com/m\\n\\ngo 1.31\\n', 'go.mod')
try {
  const tool = await checkGoToolchain(goMod, process.env, silentReporter)
  process.stdout.write(\`\${tool.version} \${[...tool.targets].join(',')}\`)
} catch (error) {
  process.stdout.write(error.code)
}
`,
    )
    // a process of its own each time, as every `polyship plan` is
    const inFreshProcess = async () => (await run(process.execPath, [script], { env })).stdout
    // go 1.30 is refused against the `go 1.31` line, the second time from the cache
    expect(await inFreshProcess()).toBe('BINARY_TOOLCHAIN_MISSING')
    expect(await calls()).toBe(2) // go env + go tool dist list
    expect(await inFreshProcess()).toBe('BINARY_TOOLCHAIN_MISSING')
    expect(await calls()).toBe(2)

    await installGo('go1.31.2')
    expect(await inFreshProcess()).toBe('1.31.2 linux/amd64,linux/arm64')
    expect(await calls()).toBe(4)
    expect(await inFreshProcess()).toBe('1.31.2 linux/amd64,linux/arm64')
    expect(await calls()).toBe(4)
  })
})
