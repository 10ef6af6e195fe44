import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { assertLintClean, formatFinding, HelmError, lintChart } from '@polyship/helm'
import { describe, expect, it } from 'vitest'
import { CONFIGMAP, copyExampleChart, MCP_CONFIG, MCP_RELEASE, tempDirs, writeChart } from './helpers.ts'

const temp = tempDirs('lint')

describe('lintChart', () => {
  it('the example chart, as it would ship, passes our checks, helm lint --strict and helm template', async () => {
    const dir = await copyExampleChart(await temp())
    const report = await lintChart(dir, {
      config: MCP_CONFIG,
      version: '0.2.0',
      release: MCP_RELEASE,
      helm: 'required',
    })
    expect(report.helm).toBe('ran')
    expect(report.findings.map(formatFinding)).toEqual([
      '[info] (helm lint) mcp-stack/Chart.yaml: icon is recommended',
    ])
    expect(report.ok).toBe(true)
    assertLintClean(report)
  })

  it('reports a template helm cannot render, from helm lint and helm template', async () => {
    const dir = await writeChart(await temp(), 'broken', 'apiVersion: v2\nname: broken\nversion: 1.0.0\n', {
      'values.yaml': 'image:\n  repository: r\n  digest: d\n',
      'templates/cm.yaml': CONFIGMAP,
      'templates/bad.yaml': 'value: {{ .Values.missing.key }}\n',
    })
    const report = await lintChart(dir, { helm: 'required' })
    expect(report.ok).toBe(false)
    const errors = report.findings.filter((f) => f.severity === 'error')
    expect(errors.map((f) => f.source).sort()).toEqual(['helm lint', 'helm template'])
    expect(errors.every((f) => f.message.includes('nil pointer evaluating interface {}.key'))).toBe(true)
    const error = (() => {
      try {
        assertLintClean(report)
      } catch (e) {
        return e as HelmError
      }
    })()
    expect(error).toBeInstanceOf(HelmError)
    expect(error?.code).toBe('HELM_LINT_FAILED')
  })

  it('warns when .helmignore would let `helm package` ship package.json or node_modules, and about unknown fields', async () => {
    const dir = await writeChart(
      await temp(),
      'demo',
      'apiVersion: v2\nname: demo\nversion: 1.0.0\nAppVersion: "1.0"\n',
      {
        'package.json': '{}',
        'templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n',
      },
    )
    const report = await lintChart(dir, { helm: 'off', cwd: dir })
    expect(report.findings.map(formatFinding)).toEqual([
      '[warning] (polyship) Chart.yaml:4: unknown field AppVersion: Helm ignores it (field names are case-sensitive)',
      '[warning] (polyship) .helmignore: package.json is not in .helmignore: polyship leaves it out, but `helm package` of this directory would ship it',
    ])
    expect(report.ok).toBe(false)
    expect((await lintChart(dir, { helm: 'off', strict: false })).ok).toBe(true)
    await writeFile(join(dir, '.helmignore'), 'package.json\n')
    expect((await lintChart(dir, { helm: 'off' })).findings).toHaveLength(1)
  })

  it('turns a packaging error into a finding with its code, file and line', async () => {
    const dir = await writeChart(await temp(), 'demo', 'apiVersion: v2\nname: demo\nversion: "1.0"\n')
    const report = await lintChart(dir, { cwd: dir })
    expect(report.findings).toEqual([
      expect.objectContaining({
        severity: 'error',
        code: 'HELM_VERSION_INVALID',
        file: 'Chart.yaml',
        line: 3,
      }),
    ])
    expect(report.helm).toBe('disabled')
  })
})
