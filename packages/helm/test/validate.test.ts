import { mkdir, symlink, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { run } from '@polyship/core'
import {
  HelmError,
  MAX_FILE_BYTES,
  packageChart,
  parseChartYaml,
  parseHelmignore,
  readChart,
  type ValuesSchemaError,
} from '@polyship/helm'
import { describe, expect, it } from 'vitest'
import { CONFIGMAP, copyExampleChart, readText, tempDirs, writeChart } from './helpers.ts'

const temp = tempDirs('validate')

async function failure(promise: Promise<unknown>): Promise<HelmError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(HelmError)
  return error as HelmError
}

function failureOf(fn: () => unknown): HelmError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(HelmError)
    return error as HelmError
  }
  throw new Error('expected a HelmError')
}

describe('Chart.yaml', () => {
  it('invalid YAML is HELM_YAML_INVALID at the line of the error', () => {
    const error = failureOf(() =>
      parseChartYaml(
        'apiVersion: v2\nname: demo\nversion: 1.0.0\ndescription: a: b\n',
        'charts/demo/Chart.yaml',
      ),
    )
    expect(error.code).toBe('HELM_YAML_INVALID')
    expect(error.file).toBe('charts/demo/Chart.yaml')
    expect(error.line).toBe(4)
    expect(error.message).toMatch(/^charts\/demo\/Chart\.yaml:4:\d+: invalid YAML/)
  })

  it('a version that is not SemVer 2 is HELM_VERSION_INVALID at its line', () => {
    for (const version of ['1.0', 'v1.2.3', '"1.2"', '1.2.3.4']) {
      const error = failureOf(() =>
        parseChartYaml(`apiVersion: v2\nname: demo\n# the version\nversion: ${version}\n`, 'Chart.yaml'),
      )
      expect(error.code).toBe('HELM_VERSION_INVALID')
      expect(error.line).toBe(4)
      expect(error.message).toContain('Chart.yaml:4:')
    }
  })

  it('refuses an apiVersion Helm does not know, numbers where Helm wants strings, bad types, duplicate dependencies', () => {
    const cases: [string, string, number][] = [
      ['apiVersion: v3\nname: demo\nversion: 1.0.0\n', 'apiVersion is "v3", not v1 or v2', 1],
      [
        'apiVersion: v2\nname: demo\nversion: 1.0.0\nappVersion: 1.10\n',
        'appVersion is the number 1.1, not a string',
        4,
      ],
      ['apiVersion: v2\nname: demo\nversion: 1.0.0\ntype: app\n', 'type "app" is neither', 4],
      [
        'apiVersion: v2\nname: demo\nversion: 1.0.0\nkubeVersion: ">=1.x.y.z"\n',
        'not a SemVer constraint',
        4,
      ],
      [
        'apiVersion: v2\nname: demo\nversion: 1.0.0\ndependencies:\n  - name: a\n    repository: file://../a\n  - name: a\n    repository: file://../b\n',
        'two dependencies are named "a"',
        7,
      ],
    ]
    for (const [text, message, line] of cases) {
      const error = failureOf(() => parseChartYaml(text, 'Chart.yaml'))
      expect(error.code).toBe('HELM_CHART_INVALID')
      expect(error.message).toContain(message)
      expect(error.line).toBe(line)
    }
    expect(
      failureOf(() => parseChartYaml('apiVersion: v2\nname: My_Chart\nversion: 1.0.0\n', 'Chart.yaml')).code,
    ).toBe('HELM_NAME_INVALID')
  })

  it('a name other than the directory is HELM_NAME_MISMATCH at the line of name', async () => {
    const dir = await writeChart(await temp(), 'other', 'apiVersion: v2\n\nname: demo\nversion: 1.0.0\n')
    const error = await failure(readChart(dir, { cwd: dir }))
    expect(error.code).toBe('HELM_NAME_MISMATCH')
    expect(error.file).toBe('Chart.yaml')
    expect(error.line).toBe(3)
    expect(error.message).toBe('Chart.yaml:3: name is "demo" but the chart directory is "other"')
  })
})

describe('values.yaml against values.schema.json', () => {
  it('reports every failing value with its path and line', async () => {
    const chart = await copyExampleChart(await temp())
    const values = (await readText(join(chart, 'values.yaml')))
      .replace('digest: ""', 'digest: "sha256:nothex"')
      .replace('  containerPort: 8081', '  containerPort: 70000\n  colour: blue')
    await writeFile(join(chart, 'values.yaml'), values)
    const error = await failure(readChart(chart, { cwd: chart }))
    expect(error.code).toBe('HELM_VALUES_SCHEMA')
    const issues = (error as ValuesSchemaError).issues.map((i) => `${i.line} ${i.path}: ${i.message}`)
    const lines = values.split('\n')
    const lineOf = (text: string, from = 0) => lines.findIndex((l, i) => i >= from && l.includes(text)) + 1
    expect(issues).toEqual([
      `${lineOf('sha256:nothex')} timeServer.image.digest: "sha256:nothex" does not match ^(sha256:[a-f0-9]{64})?$`,
      `${lineOf('containerPort: 70000')} echoServer.containerPort: must be <= 65535`,
    ])
    expect(error.message).toContain(`values.yaml:${lineOf('sha256:nothex')}: timeServer.image.digest`)
    expect(error.line).toBe(lineOf('sha256:nothex'))
  })

  it('a schema that is not JSON is HELM_SCHEMA_INVALID at its line', async () => {
    const dir = await writeChart(await temp(), 'demo', 'apiVersion: v2\nname: demo\nversion: 1.0.0\n', {
      'values.yaml': 'a: 1\n',
      'values.schema.json': '{\n  "type": "object",\n  "properties": {,}\n}\n',
    })
    const error = await failure(readChart(dir, { cwd: dir }))
    expect(error.code).toBe('HELM_SCHEMA_INVALID')
    expect(error.line).toBe(3)
  })
})

describe('files', () => {
  it('a file name with a backslash is HELM_FILE_INVALID, unless .helmignore leaves it out', async () => {
    const dir = await writeChart(await temp(), 'demo', 'apiVersion: v2\nname: demo\nversion: 1.0.0\n', {
      'templates\\secret.yaml': 'kind: Secret\n',
    })
    const error = await failure(readChart(dir, { cwd: dir }))
    expect(error.code).toBe('HELM_FILE_INVALID')
    expect(error.message).toContain('templates\\secret.yaml: has a backslash in its name')
    await writeFile(join(dir, '.helmignore'), 'templates\\\\secret.yaml\n')
    const chart = await readChart(dir, { cwd: dir })
    expect(chart.files.map((f) => f.path)).not.toContain('templates\\secret.yaml')
  })

  it('a values.yaml alias bomb is HELM_YAML_INVALID, not an exhausted heap', async () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for (const [i, name] of ['b', 'c', 'd', 'e', 'f', 'g', 'h'].entries()) {
      const prev = String.fromCharCode(97 + i)
      bomb.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`)
    }
    const dir = await writeChart(await temp(), 'demo', 'apiVersion: v2\nname: demo\nversion: 1.0.0\n', {
      'values.yaml': `${bomb.join('\n')}\n`,
      'values.schema.json': '{"type":"object"}',
    })
    const error = await failure(readChart(dir, { cwd: dir }))
    expect(error.code).toBe('HELM_YAML_INVALID')
    expect(error.file).toBe('values.yaml')
  })

  it('a template that is a symlink leaving the chart is HELM_PATH_ESCAPES naming the template', async () => {
    const root = await temp()
    await writeFile(join(root, 'outside.yaml'), 'kind: Secret\n')
    const dir = await writeChart(root, 'demo', 'apiVersion: v2\nname: demo\nversion: 1.0.0\n')
    await symlink('../../outside.yaml', join(dir, 'templates', 'secret.yaml'))
    const error = await failure(readChart(dir, { cwd: root }))
    expect(error.code).toBe('HELM_PATH_ESCAPES')
    expect(error.file).toBe('demo/templates/secret.yaml')
    expect(error.message).toContain(`is a symlink to ${join(root, 'outside.yaml')}, outside the chart`)
  })

  it('a symlink inside the chart is shipped as the file it points at, as Helm does', async () => {
    const dir = await writeChart(await temp(), 'demo', 'apiVersion: v2\nname: demo\nversion: 1.0.0\n', {
      'files/config.yaml': 'x: 1\n',
    })
    await symlink('../files/config.yaml', join(dir, 'templates', 'config.yaml'))
    const chart = await readChart(dir)
    expect(chart.files.map((f) => [f.path, f.source])).toContainEqual([
      'templates/config.yaml',
      join(dir, 'files/config.yaml'),
    ])
  })

  it("a file over Helm's 5 MiB limit, or 100 MiB of files, is HELM_TOO_LARGE", async () => {
    const root = await temp()
    const big = await writeChart(root, 'big', 'apiVersion: v2\nname: big\nversion: 1.0.0\n', {
      'files/blob.bin': '',
    })
    await truncate(join(big, 'files/blob.bin'), MAX_FILE_BYTES + 1)
    const error = await failure(readChart(big, { cwd: root }))
    expect(error.code).toBe('HELM_TOO_LARGE')
    expect(error.file).toBe('big/files/blob.bin')

    const many = await writeChart(root, 'many', 'apiVersion: v2\nname: many\nversion: 1.0.0\n')
    await mkdir(join(many, 'files'))
    for (let i = 0; i < 20; i++) {
      await writeFile(join(many, 'files', `part-${i}.bin`), '')
      await truncate(join(many, 'files', `part-${i}.bin`), MAX_FILE_BYTES) // sparse: no disk used
    }
    const total = await failure(packageChart(many, { outDir: join(root, 'out') }))
    expect(total.code).toBe('HELM_TOO_LARGE')
    expect(total.message).toContain('100 MiB')
  })
})

describe('.helmignore', () => {
  it('ships exactly the files `helm package` ships for the same rules', async () => {
    const root = await temp()
    const dir = await writeChart(root, 'demo', 'apiVersion: v2\nname: demo\nversion: 1.0.0\n', {
      '.helmignore': '# comment\n*.bak\n/docs/\nsecret?.txt\ntests/*.yaml\n[ab].md\nbuild/\n\\#literal\n',
      'values.yaml': 'image:\n  repository: r\n  digest: d\n',
      'templates/cm.yaml': CONFIGMAP,
      'templates/.hidden.yaml': 'x',
      'templates/sub/.keep': '',
      'docs/guide.md': 'g',
      'nested/docs/kept.md': 'k',
      'notes.bak': 'b',
      'secret1.txt': 's',
      'secret12.txt': 's',
      'tests/t.yaml': 't',
      'tests/deep/t.yaml': 't',
      'a.md': 'a',
      'c.md': 'c',
      'build/out.txt': 'o',
      'src/build': 'file named build',
      '#literal': 'l',
    })
    const ours = (await readChart(dir)).files.map((f) => `demo/${f.path}`)
    await run('helm', ['package', dir, '--destination', root])
    const helm = (await run('tar', ['tzf', join(root, 'demo-1.0.0.tgz')])).stdout.trim().split('\n').sort()
    expect(ours.sort()).toEqual(helm)
    expect(ours).toContain('demo/src/build')
    expect(ours).not.toContain('demo/templates/.hidden.yaml')
  })

  it("negation is Helm's: `!pattern` ignores every path the pattern does not match", () => {
    const rules = parseHelmignore('!*.yaml\n', '.helmignore')
    expect(rules.ignores('values.yaml', false)).toBe(false)
    expect(rules.ignores('README.md', false)).toBe(true)
  })

  it('a bad pattern is HELM_IGNORE_INVALID at its line', () => {
    for (const pattern of ['[a-', 'docs/**', '[]', 'x\\']) {
      const error = failureOf(() => parseHelmignore(`# ok\n*.bak\n${pattern}\n`, 'demo/.helmignore'))
      expect(error.code).toBe('HELM_IGNORE_INVALID')
      expect(error.line).toBe(3)
    }
  })
})
