import { execFileSync } from 'node:child_process'
import {
  formatWheelRecordCsv,
  parseWheelRecordCsv,
  parseWheelRecordHash,
  wheelRecordHash,
} from '@polyship/core'
import { describe, expect, it } from 'vitest'

const ROWS = [
  ['pkg/__init__.py', 'sha256=AbC-_1', '12'],
  ['pkg/with,comma.py', 'sha256=x', '3'],
  ['pkg/"quoted".py', 'sha256=y', '4'],
  ['pkg/line\nbreak.txt', '', ''],
  ['pkg-1.0.dist-info/RECORD', '', ''],
]

function python(script: string, input: string): string {
  return execFileSync('python3', ['-c', script], { input, encoding: 'utf8' })
}

describe('wheel RECORD csv', () => {
  it('reads what Python csv writes (CRLF, quotes, embedded commas and newlines), skipping blank lines', () => {
    const written = python(
      `import csv, json, sys
csv.writer(sys.stdout).writerows(json.load(sys.stdin))
sys.stdout.write('\\r\\n')`,
      JSON.stringify(ROWS),
    )
    expect(written).toContain('\r\n')
    expect(parseWheelRecordCsv(written)).toEqual(ROWS)
    expect(parseWheelRecordCsv('a,b,c')).toEqual([['a', 'b', 'c']])
  })

  it('writes what Python csv reads back, one \\n per row', () => {
    const text = formatWheelRecordCsv(ROWS)
    expect(text.split('\n')[0]).toBe('pkg/__init__.py,sha256=AbC-_1,12')
    expect(text.endsWith(',,\n')).toBe(true)
    const read = python(
      `import csv, json, sys
print(json.dumps(list(csv.reader(sys.stdin))))`,
      text,
    )
    expect(JSON.parse(read)).toEqual(ROWS)
  })

  it('hashes as pip writes RECORD, and reads hash fields (sha256 or stronger, padding dropped)', () => {
    const data = 'print("hi")\n'
    const pip = python(
      `import base64, hashlib, sys
print('sha256=' + base64.urlsafe_b64encode(hashlib.sha256(sys.stdin.buffer.read()).digest()).rstrip(b'=').decode(), end='')`,
      data,
    )
    expect(wheelRecordHash(data)).toBe(pip)
    expect(parseWheelRecordHash(pip)).toEqual({ algorithm: 'sha256', value: pip.slice('sha256='.length) })
    expect(parseWheelRecordHash('sha512=AbC-_1==')).toEqual({ algorithm: 'sha512', value: 'AbC-_1' })
    for (const field of ['md5=AbC', 'sha256=', 'sha256', '=AbC', 'sha256=a/b+c'])
      expect(parseWheelRecordHash(field)).toBeUndefined()
  })
})
