import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll } from 'vitest'

export const EXAMPLE_CHART = fileURLToPath(new URL('../../../examples/charts/mcp-stack', import.meta.url))

/** A temp directory removed after the file's tests. */
export function tempDirs(prefix: string): () => Promise<string> {
  const made: string[] = []
  afterAll(async () => {
    for (const dir of made) await rm(dir, { recursive: true, force: true })
  })
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), `polyship-helm-${prefix}-`))
    made.push(dir)
    return dir
  }
}

/** Copies examples/charts/mcp-stack to `<dir>/mcp-stack` (node_modules left behind: its links point into the repo). */
export async function copyExampleChart(dir: string, name = 'mcp-stack'): Promise<string> {
  const target = join(dir, name)
  await cp(EXAMPLE_CHART, target, {
    recursive: true,
    filter: (source) => !source.split(/[\\/]/).includes('node_modules'),
  })
  return target
}

/** Writes a small chart: Chart.yaml from `chart`, plus `files` (path -> content). */
export async function writeChart(
  root: string,
  name: string,
  chart: string,
  files: Readonly<Record<string, string>> = {},
): Promise<string> {
  const dir = join(root, name)
  await mkdir(join(dir, 'templates'), { recursive: true })
  await writeFile(join(dir, 'Chart.yaml'), chart)
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true })
    await writeFile(join(dir, path), content)
  }
  return dir
}

export const CONFIGMAP = `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-{{ .Chart.Name }}
data:
  image: {{ printf "%s@%s" .Values.image.repository .Values.image.digest | quote }}
`

export const MCP_CONFIG = {
  appVersionFrom: 'time-server-go',
  images: { 'timeServer.image': 'time-server-go', 'echoServer.image': 'echo-server-rust' },
} as const

export function fakeDigest(char: string): `sha256:${string}` {
  return `sha256:${char.repeat(64)}`
}

/** A release of the example's two images at made-up digests (for tests that do not push images). */
export const MCP_RELEASE = {
  versions: { 'time-server-go': '1.4.0', 'echo-server-rust': '0.3.0', 'mcp-stack': '0.2.0' },
  images: {
    'time-server-go': {
      repository: 'registry.example/time-server-go',
      tag: '1.4.0',
      digest: fakeDigest('a'),
    },
    'echo-server-rust': {
      repository: 'registry.example/echo-server-rust',
      tag: '0.3.0',
      digest: fakeDigest('b'),
    },
  },
}

export async function readText(file: string): Promise<string> {
  return readFile(file, 'utf8')
}
