/**
 * Archive writer benchmark: core's reproducible tar.gz vs `tar | gzip` on the same tree,
 * and peak RSS while a 1 GiB file streams through (must stay flat, well under 150 MB).
 *   tools/run node bench/archive.ts [sizeMiB=1024]
 */
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { treeEntries, writeArchive } from '@polyship/core'
import { compare, peakRssMiB, report, sh, writePayloadTree } from './harness.ts'

const sizeMiB = Number(process.argv[2] ?? 1024)

if (process.argv[2] === '--child') {
  // Child mode: write one archive of the given tree, so its peak RSS can be measured alone.
  const [, , , root, out] = process.argv
  const entries = existsSync(root!) ? await treeEntries(root!) : []
  await writeArchive(out!, entries, { format: 'tar.gz', mtime: 0, gzipLevel: 1 })
  process.exit(0)
}

const work = await mkdtemp(join(tmpdir(), 'polyship-bench-archive-'))
const tree = join(work, 'tree')
writePayloadTree(tree, 'big.bin', sizeMiB)

const rss = await peakRssMiB(process.execPath, [
  import.meta.filename,
  '--child',
  tree,
  join(work, 'rss.tar.gz'),
])
await writeFile(join(work, 'empty'), '')
const idle = await peakRssMiB(process.execPath, [
  import.meta.filename,
  '--child',
  join(work, 'tree-empty-does-not-exist'),
  join(work, 'x'),
]).catch(() => Number.NaN)
console.log(
  `peak RSS writing a ${sizeMiB} MiB file as tar.gz: ${rss.toFixed(0)} MiB (the same process on an empty tree: ${idle.toFixed(0)} MiB)`,
)

const results = await compare(
  [
    {
      name: 'polyship writeArchive (gzip -1)',
      run: async () =>
        writeArchive(join(work, 'a.tar.gz'), await treeEntries(tree), {
          format: 'tar.gz',
          mtime: 0,
          gzipLevel: 1,
        }),
    },
    {
      name: 'tar --sort=name | gzip -1',
      run: () =>
        sh('sh', [
          '-c',
          `tar --sort=name --owner=0 --group=0 --mtime=@0 -C ${tree} -cf - . | gzip -1 > ${join(work, 'b.tar.gz')}`,
        ]),
    },
  ],
  3,
)
report(`tar.gz of ${sizeMiB} MiB`, results)
await rm(work, { recursive: true, force: true })
