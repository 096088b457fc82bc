import { describe, expect, it } from '@jest/globals'
import { readFile } from 'node:fs/promises'
import { parse } from 'yaml'
import { DEFAULT_CONCURRENCY, DEFAULT_PART_CONCURRENCY } from '../src/settings/index.js'
import type { Manifest, PrefixSummary } from '../src/engine/plan/manifest.js'
import { Inputs, Outputs } from '../src/settings/names.js'
import { rollbackPage } from '../src/report/summary.js'

interface ActionYml {
  inputs: Record<string, { default?: string }>
  outputs: Record<string, unknown>
}

describe('prefix inputs and outputs are documented', () => {
  it('action.yml declares them with the defaults the code uses', async () => {
    const yml = parse(
      await readFile(new URL('../action.yml', import.meta.url), 'utf8'),
    ) as ActionYml
    expect(yml.inputs[Inputs.Prefix]?.default).toBe('')
    expect(yml.inputs[Inputs.Concurrency]?.default).toBe(String(DEFAULT_CONCURRENCY))
    expect(yml.inputs[Inputs.PartConcurrency]?.default).toBe(String(DEFAULT_PART_CONCURRENCY))
    expect(Object.keys(yml.outputs)).toContain(Outputs.ManifestFile)
  })
})

describe('job summary of a prefix run too large to list', () => {
  const totals: PrefixSummary = {
    prefix: 'data/',
    keys: 5000,
    versions: 15000,
    restored: 2500,
    deleted: 3,
    unchanged: 2497,
    skipped: 0,
    written: 2503,
    manifestFile: '/runner/temp/s3-rollback-x/manifest.jsonl',
    keysOmitted: true,
    undoFile: '/runner/temp/s3-rollback-x/undo.txt',
  }
  const manifest: Manifest = {
    bucket: 'justice40-data',
    target: { toTime: '2021-12-13T15:00:00.000Z' },
    dryRun: false,
    keys: [],
    summary: totals,
  }

  it('gives the totals, where every key is listed, and where the undo file is', () => {
    const page = rollbackPage({
      manifest,
      undo: {
        of: { bucket: 'justice40-data', s3: { forcePathStyle: false } },
        file: totals.undoFile ?? '',
      },
    })
    expect(page).toContain(
      '<h3>Rolled back 2,503 of 5,000 keys under <code>s3://justice40-data/data/</code> to 2021-12-13 15:00:00 UTC</h3>',
    )
    expect(page).toContain(
      'Changed 2,503 keys (2,500 restored, 3 deleted); 2,497 unchanged, 0 skipped. 15,000 versions listed under the prefix.',
    )
    expect(page).toContain(
      'the <code>manifest-file</code> output has one row per key: <code>/runner/temp/s3-rollback-x/manifest.jsonl</code>',
    )
    expect(page).toContain(
      'in the <code>undo-file</code> output, <code>/runner/temp/s3-rollback-x/undo.txt</code>',
    )
    const block = /```yaml\n([\s\S]*?)\n```/.exec(page)?.[1] ?? ''
    expect(parse(block)).toEqual({
      with: {
        bucket: 'justice40-data',
        'version-ids-file': '${{ runner.temp }}/undo/undo.txt',
        'if-missing': 'delete',
      },
    })
  })
})
